// `strata bench embed`: embedding throughput on fixed-shape batches — `batch` texts of exactly
// `seq` tokens ([CLS], random word pieces, [SEP]; no padding), the whole path an Embedder user
// pays (forward pass, read-back, pooling), after warm-up runs (at least two, up to 5 s). Prints mean ± sd over the
// repetitions and, last, `tokens_per_second: X`. bench/embed.sh runs ONNX Runtime on the same
// shapes in the same run.
package dev.strata.cli;

import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.exec.GraphExecutor;
import dev.strata.engine.ops.OpKind;
import dev.strata.engine.runtime.OpProfiler;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "embed", mixinStandardHelpOptions = true, description = "Embedding throughput (tokens/s) on batches of fixed-length texts.")
final class EmbedBenchCommand implements Callable<Integer> {
    /** Warm-up: at least 2 runs, then more until 5 s have passed (the JIT settles the kernels), at most 20. */
    static final int WARMUP_MIN_RUNS = 2, WARMUP_MAX_RUNS = 20;
    static final long WARMUP_NANOS = 5_000_000_000L;
    /** First word-piece id drawn: past BERT's special and unused tokens. */
    static final int FIRST_WORD_ID = 1000;

    @Spec CommandSpec spec;
    @Mixin BackendOptionsMixin backend;
    @Option(names = "--model", defaultValue = "minilm", description = "minilm (bundled all-MiniLM-L6-v2) or a BERT model directory (default: ${DEFAULT-VALUE})") String model;
    @Option(names = "--batch", defaultValue = "32", description = "texts per forward pass") int batch;
    @Option(names = "--seq", defaultValue = "64", description = "tokens per text, special tokens included") int seq;
    @Option(names = {"-r", "--repetitions"}, defaultValue = "5") int reps;
    @Option(names = "--profile", description = "also time every op of one batch on the device and print the sum per op kind") boolean profile;

    @Override public Integer call() throws Exception {
        if (batch < 1 || seq < 2 || reps < 1) throw new IllegalArgumentException("need --batch >= 1, --seq >= 2, -r >= 1");
        if (seq % 8 != 0) throw new IllegalArgumentException("--seq " + seq + ": expected a multiple of 8 (the embedder pads batches to one, and uneven lengths would time padding)");
        PrintWriter out = spec.commandLine().getOut();
        EmbeddingModelOptions mo = new EmbeddingModelOptions();
        mo.model = model;
        mo.pooling = "mean";
        mo.maxTokens = seq;
        mo.batch = batch;
        try (ComputeDevice dev = backend.open(); EmbeddingModelOptions.Session s = mo.open(dev)) {
            int vocab = s.model().config().vocabSize();
            if (vocab <= FIRST_WORD_ID) throw new IllegalArgumentException("model vocabulary of " + vocab + " has no word pieces past id " + FIRST_WORD_ID + "; expected a BERT vocabulary");
            int cls = s.tokenizer().tokenId("[CLS]").orElse(101), sep = s.tokenizer().tokenId("[SEP]").orElse(102);
            SplittableRandom rnd = new SplittableRandom(1);
            int[][] ids = new int[batch][seq];
            for (int[] t : ids) {
                for (int i = 0; i < seq; i++) t[i] = rnd.nextInt(FIRST_WORD_ID, vocab);
                t[0] = cls;
                t[seq - 1] = sep;
            }
            long warm = System.nanoTime();
            for (int w = 0; w < WARMUP_MIN_RUNS || (w < WARMUP_MAX_RUNS && System.nanoTime() - warm < WARMUP_NANOS); w++) s.embedder().embedTokens(ids);
            double[] tps = new double[reps];
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                s.embedder().embedTokens(ids);
                tps[r] = (double) batch * seq / ((System.nanoTime() - t0) / 1e9);
            }
            double mean = 0, var = 0;
            for (double v : tps) mean += v / reps;
            for (double v : tps) var += (v - mean) * (v - mean) / Math.max(1, reps - 1);
            out.printf(Locale.ROOT, "model: %s, backend: %s, device: %s, batch %d × seq %d, %d repetitions%n",
                    model, backend.backend, dev.description(), batch, seq, reps);
            out.printf(Locale.ROOT, "embed %.0f ± %.0f tokens/s (%.1f ms per batch)%n", mean, Math.sqrt(var), batch * seq / mean * 1e3);
            if (profile) {
                int[] tokens = new int[batch * seq], mask = new int[batch * seq];
                for (int b = 0; b < batch; b++) System.arraycopy(ids[b], 0, tokens, b * seq, seq);
                Arrays.fill(mask, 1);
                GraphExecutor ex = s.embedder().engine().encode(tokens, null, mask, batch, seq, false);
                Map<OpKind, Double> byKind = OpProfiler.byKind(OpProfiler.profile(ex, null));
                double total = byKind.values().stream().mapToDouble(Double::doubleValue).sum();
                byKind.forEach((k, us) -> out.printf(Locale.ROOT, "profile %-14s %10.0f µs  %5.1f%%%n", k, us, 100 * us / total));
            }
            out.printf(Locale.ROOT, "tokens_per_second: %.0f%n", mean);
        }
        return 0;
    }
}
