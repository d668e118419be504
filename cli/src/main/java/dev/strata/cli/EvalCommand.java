// `strata eval`: the fixed contract used by tests, hardware comparison and outside checks.
// Reads input_ids (and attention_mask, token_type_ids) from a safetensors file and writes F32
// outputs to another: decoders logits and hidden_states.{i} (and with --generate N:
// generated_ids, generated_logits); encoders last_hidden_state, hidden_states.{i},
// pooler_output / logits where the model has them, and mean_pooled. Encoder-decoders also read
// decoder_input_ids and write logits, encoder_last_hidden_state, encoder_/decoder_hidden_states.{i}
// (and generated_ids, generated_logits).
package dev.strata.cli;

import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.runtime.EncoderDecoderEvaluator;
import dev.strata.engine.runtime.EncoderEvaluator;
import dev.strata.engine.runtime.Evaluator;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import dev.strata.loader.SafetensorsDtype;
import dev.strata.loader.SafetensorsFile;
import dev.strata.loader.SafetensorsWriter;
import dev.strata.loader.TensorInfo;
import dev.strata.loader.WritableTensor;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Run a model on input_ids from a safetensors file and write logits / hidden states.")
public final class EvalCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin BackendOptionsMixin backend;

    @Option(names = "--model", required = true) Path model;
    @Option(names = "--inputs", required = true, description = "safetensors with input_ids I64 [batch, seq] (attention_mask, token_type_ids optional)") Path inputs;
    @Option(names = "--out", required = true) Path out;
    @Option(names = "--generate", defaultValue = "0", description = "also generate N greedy tokens") int generate;

    @Override public Integer call() throws Exception {
        try (Arena arena = Arena.ofConfined(); SafetensorsFile in = SafetensorsFile.open(inputs)) {
            if (!in.contains("input_ids")) throw new IllegalArgumentException(inputs + " has no tensor 'input_ids'; expected I64 [batch, seq]");
            HostTensor ids = readInteger(in, "input_ids", arena);
            HostTensor mask = in.contains("attention_mask") ? readInteger(in, "attention_mask", arena) : null;
            HostTensor types = in.contains("token_type_ids") ? readInteger(in, "token_type_ids", arena) : null;
            Map<String, HostTensor> result;
            try (LoadedModel m = LoadedModel.open(model)) {
                if (m.isEncoder() && generate > 0) throw new IllegalArgumentException("--generate needs a decoder model; " + model + " is an encoder (" + m.config().modelType() + ")");
                try (ComputeDevice dev = backend.open()) {
                    if (m.isEncoderDecoder()) {
                        HostTensor decoderIds = in.contains("decoder_input_ids") ? readInteger(in, "decoder_input_ids", arena) : null;
                        result = EncoderDecoderEvaluator.evaluate(m, dev, ids, mask, decoderIds, generate, arena);
                    } else {
                        result = m.isEncoder() ? EncoderEvaluator.evaluate(m, dev, ids, mask, types, arena)
                                : Evaluator.evaluateDecoder(m, dev, ids, mask, generate, arena);
                    }
                }
            }
            Map<String, WritableTensor> w = new LinkedHashMap<>();
            result.forEach((name, t) -> w.put(name, new WritableTensor(SafetensorsDtype.valueOf(t.dtype().name()), t.shape(), t.data())));
            SafetensorsWriter.write(out, w, Map.of("producer", "strata eval", "model", model.toString(), "device", backend.backend));
        }
        return 0;
    }

    private static HostTensor readInteger(SafetensorsFile f, String name, Arena arena) {
        TensorInfo info = f.info(name);
        DType dtype = switch (info.dtype()) {
            case I64 -> DType.I64;
            case I32 -> DType.I32;
            default -> throw new IllegalArgumentException("'" + name + "' is " + info.dtype() + "; expected I64 (or I32)");
        };
        if (info.rank() != 2) throw new IllegalArgumentException("'" + name + "' has shape " + java.util.Arrays.toString(info.shape()) + "; expected [batch, seq]");
        HostTensor t = HostTensor.allocate(arena, dtype, info.shape());
        t.data().copyFrom(f.data(name));
        return t;
    }
}
