// Sampler and SamplingParams: greedy is argmax (first on ties), top-k 1 and a tiny top-p are
// greedy too, the same seed repeats the same draws, and over many seeded draws the token
// frequencies match softmax(logits / T) (restricted and renormalised under top-k / top-p) by a
// loose chi-square bound. Bad parameters are rejected with messages naming them.
package dev.strata.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SamplerTest {
    private static final float[] LOGITS = {1.0f, 2.0f, -1.0f, 0.5f, 0f, -3f, 1.5f};
    private static final int DRAWS = 60_000;
    /** Chi-square bound: for ≤ 6 degrees of freedom P(χ² > 40) < 1e-6, so a correct sampler never trips it. */
    private static final double CHI_SQUARE_LIMIT = 40;

    static SamplingParams params(float temperature, int topK, float topP, long seed) {
        return new SamplingParams(temperature, topK, topP, 0, seed, 16, List.of(), true);
    }

    static float[] randomLogits(SplittableRandom rnd, int n) {
        float[] l = new float[n];
        for (int i = 0; i < n; i++) l[i] = (float) (rnd.nextGaussian() * 3);
        return l;
    }

    static int[] draw(Sampler s, float[] logits, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = s.sample(logits);
        return out;
    }

    @Test
    void greedyIsArgmaxWithFirstIndexOnTies() {
        Sampler greedy = new Sampler(SamplingParams.greedy(8));
        SplittableRandom rnd = new SplittableRandom(1);
        for (int t = 0; t < 200; t++) {
            float[] l = randomLogits(rnd, 1 + rnd.nextInt(300));
            int best = 0;
            for (int i = 1; i < l.length; i++) if (l[i] > l[best]) best = i;
            assertEquals(best, greedy.sample(l));
            assertEquals(best, Sampler.argmax(l));
        }
        assertEquals(1, greedy.sample(new float[] {0f, 5f, 5f, 5f}));
        assertEquals(0, greedy.sample(new float[] {-2f, -2f}));
        assertEquals(2, greedy.sample(new float[] {Float.NEGATIVE_INFINITY, -1e30f, 7f}));
    }

    @Test
    void topKOneAndTinyTopPAreGreedy() {
        SplittableRandom rnd = new SplittableRandom(2);
        Sampler topK1 = new Sampler(params(1.3f, 1, 1f, 5));
        Sampler topP = new Sampler(params(1.3f, 0, 1e-6f, 5));
        for (int t = 0; t < 200; t++) {
            float[] l = randomLogits(rnd, 2 + rnd.nextInt(100));
            assertEquals(Sampler.argmax(l), topK1.sample(l));
            assertEquals(Sampler.argmax(l), topP.sample(l));
        }
    }

    @Test
    void sameSeedRepeatsAndAnotherSeedDiffers() {
        float[] l = randomLogits(new SplittableRandom(3), 50);
        int[] a = draw(new Sampler(params(1f, 20, 0.9f, 42)), l, 200);
        int[] b = draw(new Sampler(params(1f, 20, 0.9f, 42)), l, 200);
        int[] c = draw(new Sampler(params(1f, 20, 0.9f, 43)), l, 200);
        assertArrayEquals(a, b);
        assertNotEquals(Arrays.toString(a), Arrays.toString(c));
    }

    /** softmax(logits / T) over the top-k tokens, cut at the smallest prefix reaching top-p, renormalised. */
    static double[] expectedDistribution(float[] logits, double t, int topK, double topP) {
        int n = logits.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int keep = topK > 0 ? Math.min(topK, n) : n;
        double z = 0;
        for (int i = 0; i < keep; i++) z += Math.exp(logits[order[i]] / t);
        if (topP < 1) {
            double cum = 0;
            for (int i = 0; i < keep; i++) {
                cum += Math.exp(logits[order[i]] / t) / z;
                if (cum >= topP) {
                    keep = i + 1;
                    break;
                }
            }
        }
        double[] p = new double[n];
        double s = 0;
        for (int i = 0; i < keep; i++) s += p[order[i]] = Math.exp(logits[order[i]] / t);
        for (int i = 0; i < n; i++) p[i] /= s;
        return p;
    }

    @ParameterizedTest(name = "T={0} top-k={1} top-p={2}")
    @CsvSource({"1.0, 0, 1.0", "0.7, 0, 1.0", "2.5, 0, 1.0", "1.0, 3, 1.0", "0.8, 0, 0.8", "1.2, 5, 0.9"})
    void frequenciesFollowTheTemperedSoftmax(float t, int topK, float topP) {
        double[] p = expectedDistribution(LOGITS, t, topK, topP);
        int[] counts = new int[LOGITS.length];
        Sampler s = new Sampler(params(t, topK, topP, 1234));
        for (int i = 0; i < DRAWS; i++) counts[s.sample(LOGITS)]++;
        double chi2 = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] == 0) {
                assertEquals(0, counts[i], "token " + i + " is outside top-k/top-p but was drawn");
                continue;
            }
            double e = DRAWS * p[i];
            chi2 += (counts[i] - e) * (counts[i] - e) / e;
        }
        double finalChi2 = chi2;
        assertTrue(chi2 < CHI_SQUARE_LIMIT, () -> "χ² " + finalChi2 + " for counts " + Arrays.toString(counts)
                + " vs p " + Arrays.toString(p));
    }

    @Test
    void badParametersAreRejected() {
        assertMessage(() -> params(-0.1f, 0, 1, 0), "temperature -0.1 must be finite and >= 0");
        assertMessage(() -> params(Float.NaN, 0, 1, 0), "temperature NaN");
        assertMessage(() -> params(Float.POSITIVE_INFINITY, 0, 1, 0), "temperature Infinity");
        assertMessage(() -> params(1, -1, 1, 0), "top-k -1 must be >= 0");
        assertMessage(() -> params(1, 0, 0, 0), "top-p 0.0 must be in (0, 1]");
        assertMessage(() -> params(1, 0, 1.01f, 0), "top-p 1.01");
        assertMessage(() -> params(1, 0, Float.NaN, 0), "top-p NaN");
        assertMessage(() -> new SamplingParams(1, 0, 1, 0, 0, -1, List.of(), true), "max tokens -1 must be >= 0");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable e, String part) {
        String m = assertThrows(IllegalArgumentException.class, e).getMessage();
        assertTrue(m.contains(part), () -> "«" + m + "» lacks «" + part + "»");
    }
}
