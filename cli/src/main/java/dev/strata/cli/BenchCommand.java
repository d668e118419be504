// `strata bench`: end-to-end speed in the llama-bench shape. pp<N>: one prefill of N tokens;
// tg<N>: N single-token decode steps from an empty cache. Random token ids, no tokenizer, no
// sampling (greedy logits are computed but not read), unless --sample: then each step draws the
// next tokens on the device (the Sample op) and runs as Generator's pipelined loop does
// ("tg<N>+sample"; "tg<N>+greedy" where the draw is the argmax, e.g. --sample 0,0,1: Generator's
// greedy loop): step i + 1 is enqueued with step i's tokens fed on the device (TokenFeed), then
// the host reads step i's tokens. Each test repeats r times after two warm-ups;
// reported as mean ± sd tokens/s with device and dtype (bench/e2e.sh adds the commit).
package dev.strata.cli;

import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.model.ForwardOptions;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.model.RandomLlama;
import dev.strata.engine.exec.GraphExecutor;
import dev.strata.engine.ops.OpKind;
import dev.strata.engine.runtime.DecoderEngine;
import dev.strata.engine.ops.Sample;
import dev.strata.engine.runtime.OpProfiler;
import dev.strata.engine.runtime.SamplingParams;
import dev.strata.engine.runtime.TokenFeed;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = EmbedBenchCommand.class,
        description = "Prompt processing (pp) and token generation (tg) speed, llama-bench style; `bench embed` for embedding throughput.")
final class BenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin BackendOptionsMixin backend;

    @Option(names = "--model", description = "model directory; default: the generated ~100M-parameter random Llama (written once to the cache)")
    Path model;

    @Option(names = {"-p", "--prompt-tokens"}, defaultValue = "512") int pp;
    @Option(names = {"-n", "--gen-tokens"}, defaultValue = "128") int tg;
    @Option(names = {"-r", "--repetitions"}, defaultValue = "3") int reps;
    @Option(names = {"-b", "--batch"}, defaultValue = "1", description = "sequences decoded together in tg (tokens/s counts all of them)") int batch;
    @Option(names = "--profile", description = "after tg, time every op of one decode step on the device, isolated and in the step, and print the sums per op kind and per node")
    boolean profile;
    @Option(names = "--sample", description = "tg draws each next token on the device and feeds it back: temperature,top-k,top-p[,min-p] (e.g. 0.8,40,0.95)")
    String sample;
    @Option(names = "--generate-model", description = "generated model when --model is absent: 100m (F32) or 1b (Llama-3.2-1B shape, BF16)", defaultValue = "100m") String generated;

    @Override public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (reps < 1 || pp < 0 || tg < 0 || batch < 1) throw new IllegalArgumentException("need -r >= 1, -p >= 0, -n >= 0, -b >= 1");
        SamplingParams sp = samplingParams();
        RandomLlama.Spec gen = switch (generated) {
            case "100m" -> RandomLlama.BENCH_100M;
            case "1b" -> RandomLlama.LLAMA_1B_SHAPE;
            default -> throw new IllegalArgumentException("--generate-model " + generated + "; expected 100m or 1b");
        };
        Path dir = model != null ? model : RandomLlama.ensure(DefaultModel.cacheDir().resolve("models").resolve(gen.name()), gen, 7);
        try (LoadedModel m = LoadedModel.open(dir); ComputeDevice dev = backend.open();
             DecoderEngine engine = new DecoderEngine(m, dev, batch, Math.max(pp, tg) + 1)) {
            String dtype = m.weights().info("model.layers.0.mlp.up_proj.weight").dtype().name();
            out.printf(Locale.ROOT, "| model | params | backend | device | dtype | batch | test | t/s |%n|---|---|---|---|---|---|---|---|%n");
            SplittableRandom rnd = new SplittableRandom(1);
            int vocab = m.config().vocabSize();
            if (pp > 0) {
                double[] r = measure(() -> {
                    int[] prompt = rnd.ints(pp, 3, vocab).toArray();
                    engine.kv().reset(0);
                    long t0 = System.nanoTime();
                    engine.step(prompt, new int[] {0}, pp, ForwardOptions.GENERATE);
                    return pp * 1e9 / (System.nanoTime() - t0);
                });
                row(out, m, dev, dtype, "pp" + pp, r);
            }
            if (tg > 0) {
                int[] slots = new int[batch];
                for (int b = 0; b < batch; b++) slots[b] = b;
                ForwardOptions options = sp == null ? ForwardOptions.GENERATE : ForwardOptions.SAMPLE;
                double[] r = measure(() -> {
                    engine.kv().resetAll();
                    int[] tokens = rnd.ints(batch, 3, vocab).toArray();
                    long t0 = System.nanoTime();
                    if (sp == null) {
                        for (int i = 0; i < tg; i++) engine.step(tokens, slots, 1, options, null);
                    } else {
                        try (TokenFeed feed = new TokenFeed(dev, batch, tg)) {
                            feed.keep(engine.enqueue(tokens, null, slots, 1, options, sampling(sp, 0)), 0);
                            for (int i = 1; i < tg; i++) {
                                feed.keep(engine.enqueue(null, feed.tokens(i - 1), slots, 1, options, sampling(sp, i)), i);
                                feed.await(i - 1);
                            }
                            feed.await(tg - 1);
                        }
                    }
                    return (double) batch * tg * 1e9 / (System.nanoTime() - t0);
                });
                row(out, m, dev, dtype, "tg" + tg + (sp == null ? "" : greedy(sp) ? "+greedy" : "+sample"), r);
                if (profile) profile(out, engine, tokensFor(rnd, vocab), slots, options, sampling(sp, 0), 1e6 * batch / r[0]);
            }
        }
        return 0;
    }

    private int[] tokensFor(SplittableRandom rnd, int vocab) { return rnd.ints(batch, 3, vocab).toArray(); }

    /** Whether every draw is the argmax (the Sample op's greedy rows: temperature <= 0 or top-k 1). */
    private static boolean greedy(SamplingParams sp) { return !(sp.temperature() > 0) || sp.topK() == 1; }

    /** --sample's parameters (seed 1), or null without it. */
    private SamplingParams samplingParams() {
        if (sample == null) return null;
        String[] f = sample.split(",");
        String expected = "--sample " + sample + "; expected temperature,top-k,top-p[,min-p], e.g. 0.8,40,0.95";
        if (f.length < 3 || f.length > 4) throw new IllegalArgumentException(expected);
        try {
            return new SamplingParams(Float.parseFloat(f[0]), Integer.parseInt(f[1].trim()), Float.parseFloat(f[2]), f.length == 4 ? Float.parseFloat(f[3]) : 0,
                    1, tg, List.of(), false);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(expected + " (" + e.getMessage() + ")");
        }
    }

    /** The batch's packed sampling rows for draw `step` (each sequence its own seed), or null without --sample. */
    private int[] sampling(SamplingParams sp, int step) {
        if (sp == null) return null;
        int[] rows = new int[batch * Sample.PARAMS];
        for (int b = 0; b < batch; b++) {
            new SamplingParams(sp.temperature(), sp.topK(), sp.topP(), sp.minP(), sp.seed() + b, sp.maxTokens(), List.of(), false)
                    .pack(step, rows, b * Sample.PARAMS);
        }
        return rows;
    }


    /** Per-op device time of one decode step, summed per op kind, beside the measured step time. */
    private void profile(PrintWriter out, DecoderEngine engine, int[] tokens, int[] slots, ForwardOptions options, int[] sampling, double stepMicros) {
        engine.kv().resetAll();
        GraphExecutor ex = engine.step(tokens, slots, 1, options, sampling);
        double[] replayMicros = {0};
        for (int i = 0; i < 5; i++) {
            long ns = engine.device().timeNanos(() -> ex.replayRecorded(engine.kv()));
            replayMicros[0] = i == 0 ? ns / 1e3 : Math.min(replayMicros[0], ns / 1e3);
        }
        if (!ex.replayRecorded(engine.kv())) replayMicros[0] = Double.NaN;
        engine.device().synchronize();
        out.printf(Locale.ROOT, "%nDecode step: %.1f µs per step measured (host included); input transfer + the recorded device graph: %.1f µs (device events, best of 5)%n",
                stepMicros, replayMicros[0]);
        List<OpProfiler.OpTime> isolated = OpProfiler.profile(ex, engine.kv());
        List<OpProfiler.OpTime> inStep = OpProfiler.inStep(ex, engine.kv());
        out.printf(Locale.ROOT, "Decode step profile (batch %d, %d ops): step %.1f µs measured, ops sum %.1f µs isolated (each re-launched %d× back to back, "
                        + "from a device graph where the backend has one), %.1f µs in step (differences of prefix graphs timed after a whole step: "
                        + "cold weights and kernel boundaries included)%n",
                batch, isolated.size(), stepMicros, sum(isolated), OpProfiler.REPEAT, sum(inStep));
        out.printf(Locale.ROOT, "| op | count | µs isolated | µs in step | share of step |%n|---|---|---|---|---|%n");
        Map<OpKind, Long> counts = isolated.stream().collect(Collectors.groupingBy(OpProfiler.OpTime::kind, () -> new EnumMap<>(OpKind.class), Collectors.counting()));
        Map<OpKind, Double> inStepByKind = OpProfiler.byKind(inStep);
        OpProfiler.byKind(isolated).forEach((k, us) -> out.printf(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f%% |%n", k, counts.get(k), us,
                inStepByKind.get(k), 100 * inStepByKind.get(k) / stepMicros));
        out.printf(Locale.ROOT, "%n| node role (its layers summed) | count | µs isolated | µs in step | share of step |%n|---|---|---|---|---|%n");
        Map<String, Long> roleCounts = isolated.stream().collect(Collectors.groupingBy(t -> OpProfiler.role(t.name()), Collectors.counting()));
        Map<String, Double> inStepByRole = OpProfiler.byRole(inStep);
        OpProfiler.byRole(isolated).forEach((role, us) -> out.printf(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f%% |%n", role, roleCounts.get(role), us,
                inStepByRole.get(role), 100 * inStepByRole.get(role) / stepMicros));
        out.flush();
    }

    private static double sum(List<OpProfiler.OpTime> times) { return times.stream().mapToDouble(OpProfiler.OpTime::micros).sum(); }

    private interface Run { double tokensPerSecond(); }

    /** Two warm-ups (the first runs eagerly, the second records the device graph where there is one), then r timed runs. */
    private double[] measure(Run run) {
        run.tokensPerSecond();
        run.tokensPerSecond();
        double[] v = new double[reps];
        for (int i = 0; i < reps; i++) v[i] = run.tokensPerSecond();
        double mean = 0;
        for (double x : v) mean += x / reps;
        double var = 0;
        for (double x : v) var += (x - mean) * (x - mean);
        return new double[] {mean, reps > 1 ? Math.sqrt(var / (reps - 1)) : 0};
    }

    private void row(PrintWriter out, LoadedModel m, ComputeDevice dev, String dtype, String test, double[] r) {
        out.printf(Locale.ROOT, "| %s | %.1fM | %s | %s | %s | %d | %s | %.2f ± %.2f |%n", m.config().modelType(), m.parameterCount() / 1e6,
                backend.backend, dev.description(), dtype, test.startsWith("pp") ? 1 : batch, test, r[0], r[1]);
        out.flush();
    }
}
