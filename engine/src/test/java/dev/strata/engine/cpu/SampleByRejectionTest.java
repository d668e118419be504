// SampleCpu.sampleByRejection (top-p by rejection, the fast CPU backend's draw) against
// SampleCpu.sample (the reference's radix select): the same token for every row, over the
// Sample conformance test's kinds of rows and more top-p values, with ties, -inf, NaN and
// all-equal rows, at several temperatures and seeds. Both compute every float the same way, so
// the draws must be equal exactly. The rows include draws that top-p rejects, and nearly flat rows
// whose small top-p rejects draw after draw until the radix select takes over (the test fails
// when either path is broken).
package dev.strata.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.cpu.kernels.SampleCpu;
import dev.strata.engine.ops.Sample;
import dev.strata.engine.runtime.SamplingParams;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SampleByRejectionTest {
    /** temperature, top-k, top-p, min-p. */
    private static final float[][] KINDS = {
            {1f, 0, 0.95f, 0f}, {0.8f, 0, 0.9f, 0f}, {1f, 0, 0.5f, 0f}, {1f, 0, 0.1f, 0f}, {1f, 0, 1e-6f, 0f},
            {1f, 40, 0.95f, 0f}, {0.9f, 100, 0.8f, 0.02f}, {1f, 1_000_000, 0.99f, 0f}, {2f, 0, 0.3f, 0.001f}, {0.5f, 7, 0.6f, 0f},
            {1f, 0, 1f, 0.05f}, {1.3f, 50, 1f, 0f}};

    @Test
    void drawsEqualTheRadixSelectsDraws() {
        SplittableRandom rnd = new SplittableRandom(11);
        int rows = 0;
        for (int vocab : List.of(7, 1000, 32003)) {
            for (int shape = 0; shape < 5; shape++) {
                for (float[] k : KINDS) {
                    for (int seed = 0; seed < 6; seed++) {
                        float[] l = row(rnd, vocab, shape);
                        int[] p = new int[Sample.PARAMS];
                        new SamplingParams(k[0], (int) k[1], k[2], k[3], 977L * seed + vocab, 1, List.of(), true).pack(seed, p, 0);
                        assertEquals(SampleCpu.sample(l, p), SampleCpu.sampleByRejection(l, p),
                                "vocab " + vocab + " shape " + shape + " " + Arrays.toString(k) + " seed " + seed);
                        rows++;
                    }
                }
            }
        }
        assertTrue(rows > 800);
    }

    /** Gaussian logits (spread 3); coarse values with ties; -inf and NaN entries; all equal; nearly flat (spread 0.05). */
    private static float[] row(SplittableRandom rnd, int vocab, int shape) {
        float[] l = new float[vocab];
        for (int c = 0; c < vocab; c++) l[c] = (float) (rnd.nextGaussian() * 3);
        switch (shape) {
            case 1 -> { for (int c = 0; c < vocab; c++) l[c] = Math.round(l[c] * 2) / 2f; }
            case 2 -> {
                for (int c = 1; c < vocab; c += 3) l[c] = Float.NEGATIVE_INFINITY;
                l[Math.min(5, vocab - 1)] = Float.NaN;
            }
            case 3 -> Arrays.fill(l, 0.5f);
            case 4 -> { for (int c = 0; c < vocab; c++) l[c] /= 60; } // nearly flat: a small top-p rejects draw after draw
            default -> { }
        }
        return l;
    }
}
