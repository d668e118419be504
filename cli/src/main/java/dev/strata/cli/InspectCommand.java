// `strata inspect FILE|DIR`: tensors with dtype and shape, parameter count, config summary.
package dev.strata.cli;

import dev.strata.loader.EncoderDecoderConfig;
import dev.strata.loader.HfConfig;
import dev.strata.loader.SafetensorsFile;
import dev.strata.loader.TensorInfo;
import dev.strata.loader.WeightSet;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "inspect", mixinStandardHelpOptions = true, description = "Show a safetensors file's or model directory's tensors and config.")
final class InspectCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", description = "a .safetensors file or a model directory") Path path;

    @Option(names = "--limit", defaultValue = "50", description = "most tensors to list (0 = all)") int limit;

    @Override public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (Files.isDirectory(path)) {
            Path cfg = path.resolve("config.json");
            if (Files.isRegularFile(cfg)) {
                HfConfig c = HfConfig.read(cfg);
                if (c.isEncoderDecoder()) encoderDecoderSummary(out, c.encoderDecoder(), c.architectures());
                else summary(out, c);
            }
            try (WeightSet ws = WeightSet.open(path)) {
                Map<String, TensorInfo> all = new TreeMap<>();
                for (String n : ws.names()) all.put(n, ws.info(n));
                list(out, all, ws.files().size() + " file(s)");
            }
        } else {
            try (SafetensorsFile f = SafetensorsFile.open(path)) {
                if (!f.metadata().isEmpty()) out.println("metadata: " + f.metadata());
                list(out, new TreeMap<>(f.tensors()), path.getFileName().toString());
            }
        }
        return 0;
    }

    private void list(PrintWriter out, Map<String, TensorInfo> tensors, String source) {
        long params = 0, bytes = 0;
        int shown = 0;
        for (TensorInfo t : tensors.values()) {
            params += t.elementCount();
            bytes += t.byteLength();
            if (limit == 0 || shown++ < limit) out.printf("  %-60s %-5s %s%n", t.name(), t.dtype(), Arrays.toString(t.shape()));
        }
        if (limit != 0 && tensors.size() > limit) out.println("  ... " + (tensors.size() - limit) + " more (use --limit 0)");
        out.printf("%d tensors in %s, %,d parameters, %,d bytes%n", tensors.size(), source, params, bytes);
    }

    private static void encoderDecoderSummary(PrintWriter out, EncoderDecoderConfig c, List<String> architectures) {
        String positions = c.relativeBuckets() > 0 ? "relative (" + c.relativeBuckets() + " buckets, max distance " + c.relativeMaxDistance() + ")"
                : c.maxPositions() + " absolute";
        out.printf("model_type %s %s (encoder-decoder): d_model %d, layers %d encoder / %d decoder, heads %d / %d (head_dim %d), ffn %d / %d%s %s, "
                        + "vocab %d, positions %s, tied %b, decoder start %d%n",
                c.modelType(), architectures, c.dModel(), c.encoderLayers(), c.decoderLayers(), c.encoderHeads(), c.decoderHeads(), c.headDim(),
                c.encoderFfn(), c.decoderFfn(), c.gatedFfn() ? " gated" : "", c.activation(), c.vocabSize(), positions, c.tieWordEmbeddings(),
                c.decoderStartTokenId());
    }

    private static void summary(PrintWriter out, HfConfig c) {
        out.printf("model_type %s %s: hidden %d, layers %d, heads %d (kv %d, head_dim %d), ffn %d, vocab %d, context %d, act %s, tied %b, rope %s theta %.0f%n",
                c.modelType(), c.architectures(), c.hiddenSize(), c.numLayers(), c.numHeads(), c.numKvHeads(), c.headDim(),
                c.intermediateSize(), c.vocabSize(), c.maxPositions(), c.hiddenAct(), c.tieWordEmbeddings(), c.rope().type(), c.rope().theta());
    }
}
