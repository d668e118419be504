// Conformance of the Sample op on every backend and mode, against a reference written here that
// shares nothing with the kernels but the noise hash: it sorts each row and computes the top-k,
// top-p and min-p cuts and the Gumbel scores in double. Greedy rows must equal argmax exactly.
// A sampled row's token must be one the cuts may keep, allowing 1e-5 relative slack on the
// top-p mass and min-p (float exp and sums on the devices), and its score must be the largest
// among the tokens the cuts surely keep, within 1e-4: a wrong cut, noise or temperature fails.
// Rows cover ties at the cuts, -inf and NaN logits, all-equal rows, top-k >= vocab, tiny top-p,
// and two vocabulary sizes; top-k rows whose candidates past the kernels' top-k floor fit or
// overflow their buffers (ties at the top); top-k rows masked to -inf but for a few tokens. A
// second test draws 4,096 times in one launch (one row per step) and checks the frequencies
// against the tempered, cut softmax by a chi-square bound.
package dev.strata.tests.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.strata.engine.cpu.kernels.SampleCpu;
import dev.strata.engine.ops.Sample;
import dev.strata.engine.runtime.SamplingParams;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SampleConformanceTest {
    private static final double MASS_SLACK = 1e-5, SCORE_SLACK = 1e-4;
    /** For <= 6 degrees of freedom P(χ² > 40) < 1e-6. */
    private static final double CHI_SQUARE_LIMIT = 40;

    /** temperature, top-k, top-p, min-p of the row kinds, cycled over the rows. */
    private static final float[][] KINDS = {
            {0f, 0, 1f, 0f}, {1f, 1, 1f, 0f}, {1f, 0, 1f, 0f}, {0.7f, 0, 1f, 0f}, {1.3f, 50, 1f, 0f}, {1f, 2, 1f, 0f},
            {0.8f, 0, 0.9f, 0f}, {1f, 0, 0.5f, 0f}, {1f, 0, 1e-6f, 0f}, {1f, 40, 0.95f, 0f}, {1f, 0, 1f, 0.05f},
            {0.9f, 100, 0.8f, 0.02f}, {1f, 1_000_000, 0.99f, 0f}, {2f, 7, 1f, 0f}, {1.1f, 1_000_000, 1f, 0f}};

    static Stream<Arguments> cases() {
        return OpHarness.cross(DeviceCase.all(), List.of(1000, 32003));
    }

    @ParameterizedTest(name = "{0} sample [{1} rows, vocab {2}]")
    @MethodSource("cases")
    void drawsAgreeWithTheSortedReference(DeviceCase device, int vocab) {
        int rows = 3 * KINDS.length;
        SplittableRandom rnd = new SplittableRandom(vocab);
        float[] x = new float[rows * vocab];
        int[] params = new int[rows * Sample.PARAMS];
        for (int r = 0; r < rows; r++) {
            int o = r * vocab;
            for (int c = 0; c < vocab; c++) x[o + c] = (float) (rnd.nextGaussian() * 3);
            switch (r / KINDS.length) {
                case 1 -> { // coarse values: many ties at every cut
                    for (int c = 0; c < vocab; c++) x[o + c] = Math.round(x[o + c] * 2) / 2f;
                }
                case 2 -> { // -inf and NaN entries; one row with all values equal, one with NaN at 0 and one all -inf (drawn as greedy)
                    for (int c = 1; c < vocab; c += 3) x[o + c] = Float.NEGATIVE_INFINITY;
                    x[o + 7] = Float.NaN;
                    if (r % KINDS.length == 2) Arrays.fill(x, o, o + vocab, 0.5f);
                    if (r % KINDS.length == 3) x[o] = Float.NaN;
                    if (r % KINDS.length == 10) Arrays.fill(x, o, o + vocab, Float.NEGATIVE_INFINITY);
                }
                default -> { }
            }
            float[] k = KINDS[r % KINDS.length];
            new SamplingParams(k[0], (int) k[1], k[2], k[3], 1000L * r - 7, 1, List.of(), true).pack(r * 13, params, r * Sample.PARAMS);
        }
        int[] drawn = run(device, rows, vocab, x, params);
        for (int r = 0; r < rows; r++) {
            float[] row = Arrays.copyOfRange(x, r * vocab, (r + 1) * vocab);
            checkDraw(device + " row " + r + " " + Arrays.toString(KINDS[r % KINDS.length]), row,
                    Arrays.copyOfRange(params, r * Sample.PARAMS, (r + 1) * Sample.PARAMS), drawn[r]);
        }
    }

    /**
     * Top-k rows whose keys at or above the kernels' top-k floor fit their candidate buffers, fill
     * them, or overflow them (the kernels then read the row again): ties at the top (1, 600, 900,
     * 1,500 and every token), and top-k up to the work-group size, with top-p and min-p after.
     */
    @ParameterizedTest(name = "{0} sample, top-k candidates, vocab {1}")
    @MethodSource("cases")
    void topKCandidatesThatFitOrOverflowDrawTheSame(DeviceCase device, int vocab) {
        int[] tied = {1, 600, 900, 1500, vocab};
        float[][] kinds = {{1f, 40, 1f, 0f}, {0.8f, 40, 0.9f, 0f}, {1f, 256, 0.95f, 0.01f}, {1.2f, 128, 1f, 0f}};
        int rows = tied.length * kinds.length;
        SplittableRandom rnd = new SplittableRandom(7 + vocab);
        float[] x = new float[rows * vocab];
        int[] params = new int[rows * Sample.PARAMS];
        for (int r = 0; r < rows; r++) {
            int o = r * vocab, ties = Math.min(tied[r / kinds.length], vocab);
            for (int c = 0; c < vocab; c++) x[o + c] = (float) (rnd.nextGaussian() * 2);
            for (int i = 0; i < ties; i++) x[o + (int) ((long) i * vocab / ties)] = 9.5f;  // spread over every stripe
            float[] k = kinds[r % kinds.length];
            new SamplingParams(k[0], (int) k[1], k[2], k[3], 31L * r + 5, 1, List.of(), true).pack(r, params, r * Sample.PARAMS);
        }
        int[] drawn = run(device, rows, vocab, x, params);
        for (int r = 0; r < rows; r++) {
            float[] row = Arrays.copyOfRange(x, r * vocab, (r + 1) * vocab);
            checkDraw(device + " row " + r + " ties " + tied[r / kinds.length] + " " + Arrays.toString(kinds[r % kinds.length]), row,
                    Arrays.copyOfRange(params, r * Sample.PARAMS, (r + 1) * Sample.PARAMS), drawn[r]);
        }
    }

    /**
     * Top-k rows masked to -inf but for a few tokens (as constrained decoding does): fewer finite
     * tokens than k (the kernels' floors fall to -inf, and their candidates overflow), exactly k,
     * and enough that every part of a split row has k of its own (the floors stay finite).
     */
    @ParameterizedTest(name = "{0} sample, top-k over a masked row, vocab {1}")
    @MethodSource("cases")
    void topKOverRowsMaskedToAFewTokens(DeviceCase device, int vocab) {
        int[] finite = {1, 5, 39, 40, 41, 600};
        float[][] kinds = {{1f, 40, 1f, 0f}, {0.8f, 50, 0.9f, 0f}, {1f, 64, 0.95f, 0.01f}};
        int rows = finite.length * kinds.length;
        SplittableRandom rnd = new SplittableRandom(11 + vocab);
        float[] x = new float[rows * vocab];
        Arrays.fill(x, Float.NEGATIVE_INFINITY);
        int[] params = new int[rows * Sample.PARAMS];
        for (int r = 0; r < rows; r++) {
            int o = r * vocab, n = Math.min(finite[r / kinds.length], vocab);
            // close together, so that every kept token has a fair chance to be drawn: a cut or
            // a candidate set that loses some shows within a few rows
            for (int i = 0; i < n; i++) x[o + (int) ((long) i * vocab / n) + rnd.nextInt(vocab / n)] = (float) (rnd.nextGaussian() * 0.25);
            float[] k = kinds[r % kinds.length];
            new SamplingParams(k[0], (int) k[1], k[2], k[3], 17L * r + 3, 1, List.of(), true).pack(r, params, r * Sample.PARAMS);
        }
        int[] drawn = run(device, rows, vocab, x, params);
        for (int r = 0; r < rows; r++) {
            float[] row = Arrays.copyOfRange(x, r * vocab, (r + 1) * vocab);
            assertTrue(row[drawn[r]] > Float.NEGATIVE_INFINITY, device + " row " + r + ": drew a masked token");
            checkDraw(device + " row " + r + " finite " + finite[r / kinds.length] + " " + Arrays.toString(kinds[r % kinds.length]), row,
                    Arrays.copyOfRange(params, r * Sample.PARAMS, (r + 1) * Sample.PARAMS), drawn[r]);
        }
    }

    static Stream<Arguments> distributions() {
        return OpHarness.cross(DeviceCase.all(), List.of("1.0,0,1.0,0", "0.7,3,1.0,0", "1.0,0,0.8,0", "1.2,5,0.9,0", "1.0,0,1.0,0.2"));
    }

    @ParameterizedTest(name = "{0} frequencies T,k,p,min-p = {1}")
    @MethodSource("distributions")
    void frequenciesFollowTheCutSoftmax(DeviceCase device, String spec) {
        // 4,096 blocks of 1,024 fibers a launch take minutes there; its draws are checked row by row above
        assumeFalse(device.backend().name().equals("cuda-emu"), "frequencies are not counted on the CUDA host emulation (too slow)");
        float[] logits = {1.0f, 2.0f, -1.0f, 0.5f, 0f, -3f, 1.5f};
        String[] f = spec.split(",");
        SamplingParams sp = new SamplingParams(Float.parseFloat(f[0]), Integer.parseInt(f[1]), Float.parseFloat(f[2]), Float.parseFloat(f[3]), 99, 1,
                List.of(), true);
        int draws = 4096, n = logits.length;
        float[] x = new float[draws * n];
        int[] params = new int[draws * Sample.PARAMS];
        for (int r = 0; r < draws; r++) {
            System.arraycopy(logits, 0, x, r * n, n);
            sp.pack(r, params, r * Sample.PARAMS);
        }
        int[] drawn = run(device, draws, n, x, params);
        Cuts cuts = Cuts.of(logits, sp.temperature(), sp.topK(), sp.topP(), sp.minP(), 0);
        double[] p = new double[n];
        double z = 0;
        for (int i = 0; i < n; i++) if (cuts.surely(i)) z += p[i] = Math.exp(logits[i] / sp.temperature());
        int[] counts = new int[n];
        for (int t : drawn) counts[t]++;
        double chi2 = 0;
        for (int i = 0; i < n; i++) {
            if (p[i] == 0) {
                assertEquals(0, counts[i], device + ": token " + i + " is cut but was drawn");
                continue;
            }
            double e = draws * p[i] / z;
            chi2 += (counts[i] - e) * (counts[i] - e) / e;
        }
        double c = chi2;
        assertTrue(chi2 < CHI_SQUARE_LIMIT, () -> device + ": χ² " + c + " for counts " + Arrays.toString(counts));
    }

    private static int[] run(DeviceCase device, int rows, int vocab, float[] x, int[] params) {
        try (OpHarness h = new OpHarness()) {
            var g = h.guarded(rows, 1, DType.I32, b -> b.sample(b.input("x", DType.F32, rows, vocab),
                    b.input("params", DType.I32, rows, Sample.PARAMS), "sample"));
            try (var s = h.open(device)) {
                HostTensor out = s.run(g, Map.of("x", h.f32(rows, vocab, x), "params", h.i32(rows, Sample.PARAMS, params)), null);
                return OpHarness.ints(out);
            }
        }
    }

    private static void checkDraw(String what, float[] l, int[] p, int drawn) {
        float t = Float.intBitsToFloat(p[Sample.TEMPERATURE]);
        int best = 0;
        for (int i = 1; i < l.length; i++) if (l[i] > l[best]) best = i;
        // Sample.java: greedy, and so is a row whose maximum is not finite (a NaN at 0 gives 0)
        if (!(t > 0) || p[Sample.TOP_K] == 1 || !Float.isFinite(l[best])) {
            assertEquals(best, drawn, what + ": greedy");
            return;
        }
        double topP = p[Sample.TOP_P] / (double) Sample.TOP_P_ONE;
        Cuts cuts = Cuts.of(l, t, p[Sample.TOP_K], topP, Float.intBitsToFloat(p[Sample.MIN_P]), MASS_SLACK);
        long seed = Sample.seed(p, 0);
        assertTrue(drawn >= 0 && drawn < l.length && cuts.maybe(drawn), () -> what + ": token " + drawn + " (logit " + l[drawn] + ") is cut");
        double top = Double.NEGATIVE_INFINITY;
        int topToken = -1;
        for (int i = 0; i < l.length; i++) {
            if (!cuts.surely(i)) continue;
            double s = score(l[i], cuts.max, t, seed, p[Sample.STEP], i);
            if (s > top) {
                top = s;
                topToken = i;
            }
        }
        double mine = score(l[drawn], cuts.max, t, seed, p[Sample.STEP], drawn), limit = top;
        int ref = topToken;
        assertTrue(mine >= limit - SCORE_SLACK, () -> what + ": drew " + drawn + " (score " + mine + "); the reference draws " + ref + " (score " + limit + ")");
    }

    private static double score(float l, double max, float t, long seed, int step, int token) {
        return (l - max) / t + SampleCpu.gumbelNoise(seed, step, token);
    }

    /**
     * The cuts from a sort, in double: tokens surely kept (with the top-p mass and min-p tightened
     * by `slack`) and tokens that may be kept (loosened by it).
     */
    record Cuts(float[] l, double max, double keepK, double sureP, double maybeP, double minP, double slack, float t) {
        static Cuts of(float[] l, float t, int topK, double topP, double minP, double slack) {
            Integer[] order = IntStream.range(0, l.length).filter(i -> !Float.isNaN(l[i])).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.comparingDouble((Integer i) -> l[i]).reversed());
            double max = l[order[0]];
            double keepK = topK > 0 && topK < order.length ? l[order[topK - 1]] : Double.NEGATIVE_INFINITY;
            double z = 0;
            List<Double> desc = new ArrayList<>();
            for (Integer i : order) {
                if (l[i] < keepK) break;
                z += Math.exp((l[i] - max) / t);
                desc.add((double) l[i]);
            }
            return new Cuts(l, max, keepK, cut(desc, max, t, topP * z * (1 - slack)), cut(desc, max, t, topP * z * (1 + slack)), minP, slack, t);
        }

        /** The largest logit whose mass at and above it reaches target (all of a tie group counts). */
        private static double cut(List<Double> desc, double max, float t, double target) {
            double cum = 0;
            for (int i = 0; i < desc.size(); i++) {
                cum += Math.exp((desc.get(i) - max) / t);
                boolean groupEnds = i + 1 == desc.size() || !desc.get(i + 1).equals(desc.get(i));
                if (groupEnds && cum >= target) return desc.get(i);
            }
            return desc.getLast();
        }

        private double w(int i) { return Math.exp((l[i] - max) / t); }

        boolean surely(int i) {
            return !Float.isNaN(l[i]) && l[i] >= keepK && l[i] >= sureP && (minP == 0 || w(i) >= minP * (1 + slack));
        }

        boolean maybe(int i) {
            return !Float.isNaN(l[i]) && l[i] >= keepK && l[i] >= maybeP && (minP == 0 || w(i) >= minP * (1 - slack));
        }
    }
}
