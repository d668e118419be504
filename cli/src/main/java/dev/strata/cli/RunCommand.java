// `strata run`: generate text from a prompt, streaming tokens, then report speed.
package dev.strata.cli;

import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.runtime.DecoderEngine;
import dev.strata.engine.runtime.Generator;
import dev.strata.engine.runtime.SamplingParams;
import dev.strata.loader.tokenizer.HfTokenizer;
import dev.strata.loader.tokenizer.StreamingDetokenizer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "run", mixinStandardHelpOptions = true, description = "Generate text from a prompt (streams tokens).")
final class RunCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin BackendOptionsMixin backend;

    @Option(names = "--model", description = "HF model directory (config.json, *.safetensors, tokenizer.json); default: the embedded random tiny Llama")
    Path model;

    @Option(names = "--prompt", required = true, description = "prompt text")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "64") int maxTokens;
    @Option(names = "--temperature", defaultValue = "0.8") float temperature;
    @Option(names = "--top-k", defaultValue = "0", description = "0 = off") int topK;
    @Option(names = "--top-p", defaultValue = "0.95") float topP;
    @Option(names = "--min-p", defaultValue = "0", description = "keep tokens with p >= min-p x the top token's p; 0 = off") float minP;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--stop-token", split = ",", description = "extra token ids that end generation") List<Integer> stopTokens = List.of();

    @Override public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        Path dir = model != null ? model : DefaultModel.tiny();
        if (model == null) err.println("strata: no --model given; using the embedded random-weight tiny Llama (output is gibberish by design)");
        Path tokJson = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokJson)) throw new IllegalArgumentException(dir + " has no tokenizer.json; `run` needs one to turn the prompt into tokens");
        SamplingParams params = new SamplingParams(temperature, topK, topP, minP, seed, maxTokens, stopTokens, true);
        try (LoadedModel m = LoadedModel.open(dir); HfTokenizer tok = HfTokenizer.load(tokJson)) {
            int[] ids = tok.encode(prompt, true);
            int capacity = Math.min(m.definition().contextLimit(), ids.length + maxTokens);
            if (ids.length + maxTokens > m.definition().contextLimit()) {
                throw new IllegalArgumentException("prompt of " + ids.length + " tokens + " + maxTokens + " new tokens exceeds the model's context of " + m.definition().contextLimit());
            }
            try (ComputeDevice dev = backend.open(); DecoderEngine engine = new DecoderEngine(m, dev, 1, capacity)) {
                err.println("strata: " + m.config().modelType() + " " + m.parameterCount() / 1_000_000.0 + "M params on " + dev.description());
                StreamingDetokenizer detok = new StreamingDetokenizer(tok);
                out.print(prompt);
                out.flush();
                Generator.Result r = new Generator(engine).generate(ids, params, t -> {
                    out.print(detok.accept(t));
                    out.flush();
                    return true;
                });
                out.println(detok.flush());
                err.printf(Locale.ROOT, "prompt: %d tokens, %.1f tokens/s | generation: %d tokens, %.1f tokens/s | stop: %s%n",
                        r.promptTokens(), r.promptTokensPerSecond(), r.tokens().size(), r.generationTokensPerSecond(), r.stop());
                long stacked = engine.weights().stackedBytes();
                err.printf(Locale.ROOT, "memory: weights %.1f MiB (memory-mapped%s), KV cache %.1f MiB, activations %.2f MiB peak by the liveness plan%n",
                        engine.weights().residentBytes() / 1048576.0,
                        stacked == 0 ? "" : String.format(Locale.ROOT, "; %.1f MiB of them stacked q/k/v copies", stacked / 1048576.0),
                        engine.kv().spec().bytes() / 1048576.0, engine.peakActivationBytes() / 1048576.0);
            }
        }
        return 0;
    }
}
