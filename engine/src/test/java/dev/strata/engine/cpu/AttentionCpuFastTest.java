// Fast (Vector API, online softmax) attention against the double-accumulation reference: head
// dims 8/64/80/128 (tails of the vector length), GQA ratios 1/4/8 and MQA, causal or not, padding
// masks with -inf and finite values (and a fully masked sequence, which gives zeros), uncached
// and cached with and without past tokens, q/k/v as strided column views, long prefill; short
// and long query ranges, so the per-key, block and transposed online paths all run.
package dev.strata.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.cpu.kernels.AttentionCpu;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.ops.AttentionSpec;
import dev.strata.engine.tensor.DType;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AttentionCpuFastTest {
    private static final double TOLERANCE = 1e-5;
    /** {heads, kvHeads}: group sizes 1, 4, 8 and multi-query. */
    private static final int[][] HEADS = {{4, 4}, {8, 2}, {16, 2}, {4, 1}};
    private enum MaskKind { NONE, MIXED, SECOND_FULLY_MASKED }
    /**
     * Cache cases: {cached ? 1 : 0, seqLen, past of sequence 0, past of sequence 1}. Fewer than
     * TRANSPOSE_MIN_ROWS query rows take the per-key path, more the block path (AttentionCpuBlock).
     */
    private static final int[][] CACHE = {{0, 6, 0, 0}, {1, 6, 0, 0}, {1, 1, 130, 4}, {1, 3, 5, 2}, {0, 13, 0, 0}, {1, 10, 7, 2}};

    private static CpuParallel par;

    @BeforeAll static void start() { par = new CpuParallel(3); }

    @AfterAll static void stop() { par.close(); }

    @ParameterizedTest
    @ValueSource(ints = {8, 64, 80, 128})
    void fastMatchesReference(int headDim) {
        SplittableRandom rnd = new SplittableRandom(headDim);
        for (int[] heads : HEADS) {
            for (boolean causal : new boolean[] {false, true}) {
                for (MaskKind mask : MaskKind.values()) {
                    for (int[] c : CACHE) check(rnd, 2, c[1], heads[0], heads[1], headDim, causal, mask, c[0] == 1, c[2], c[3]);
                }
            }
        }
    }

    @Test
    void longPrefillSplitsQueryRows() {
        SplittableRandom rnd = new SplittableRandom(7);
        check(rnd, 1, 150, 2, 1, 64, true, MaskKind.MIXED, true, 0, 0);
        check(rnd, 1, 70, 1, 1, 80, false, MaskKind.NONE, false, 0, 0);
        check(rnd, 1, 520, 2, 1, 32, false, MaskKind.MIXED, false, 0, 0); // past the block path's MAX_KEYS
        check(rnd, 1, 530, 1, 1, 64, true, MaskKind.NONE, true, 0, 0);
    }

    private static void check(SplittableRandom rnd, int batch, int seq, int heads, int kvHeads, int hd, boolean causal,
                              MaskKind maskKind, boolean cached, int past0, int past1) {
        String what = "batch=" + batch + " seq=" + seq + " heads=" + heads + "/" + kvHeads + " hd=" + hd + (causal ? " causal" : "")
                + " mask=" + maskKind + (cached ? " cached past=" + past0 + "," + past1 : " uncached");
        int[] pasts = {past0, past1};
        int total = cached ? Math.max(past0, past1) + seq : seq;
        AttentionSpec spec = new AttentionSpec(batch, seq, heads, kvHeads, hd, (float) (1 / Math.sqrt(hd)), causal, cached ? 1 : -1);
        try (Arena arena = Arena.ofShared();
             CpuKvStorage kv = new CpuKvStorage(new KvSpec(2, 2, total + 2, kvHeads, hd))) {
            int rows = batch * seq, qw = heads * hd, kw = kvHeads * hd;
            Mat q = TestMats.random(arena, rnd, rows, qw, 2, qw + 3, DType.F32);
            Mat k = TestMats.random(arena, rnd, rows, kw, 1, kw + 2 * kw, DType.F32);
            Mat v = TestMats.random(arena, rnd, rows, kw, 5, kw + 1, DType.F32);
            Mat past = ints(arena, batch, b -> pasts[b]), slots = ints(arena, batch, b -> 1 - b);
            for (int layer = 0; layer < 2; layer++) {
                for (long i = 0; i < kv.keys(layer).byteSize() / Float.BYTES; i++) {
                    kv.keys(layer).setAtIndex(Mat.FLOAT, i, (float) (rnd.nextDouble() * 2 - 1));
                    kv.values(layer).setAtIndex(Mat.FLOAT, i, (float) (rnd.nextDouble() * 2 - 1));
                }
            }
            Mat mask = mask(arena, rnd, maskKind, batch, cached ? Math.max(past0, past1) + seq : seq);
            Mat ref = TestMats.guarded(arena, rows, qw, 7), out = TestMats.guarded(arena, rows, qw, 7);
            AttentionCpu.reference(q, k, v, past, slots, mask, spec, cached ? kv : null, ref);
            AttentionCpu.fast(q, k, v, past, slots, mask, spec, cached ? kv : null, out, par);
            double err = TestMats.relError(out, ref, what);
            assertTrue(err <= TOLERANCE, what + ": relative error " + err + " > " + TOLERANCE);
            TestMats.assertGuards(out, 7);
        }
    }

    /** [batch, cols] additive mask: MIXED has about 15% -inf and 15% finite values in [-3, 1). */
    private static Mat mask(Arena arena, SplittableRandom rnd, MaskKind kind, int batch, int cols) {
        if (kind == MaskKind.NONE) return null;
        Mat m = TestMats.random(arena, rnd, batch, cols, 0, cols, DType.F32);
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < cols; j++) {
                double u = rnd.nextDouble();
                float val = u < 0.15 ? Float.NEGATIVE_INFINITY : u < 0.3 ? (float) (rnd.nextDouble() * 4 - 3) : 0f;
                m.set(b, j, kind == MaskKind.SECOND_FULLY_MASKED && b == 1 ? Float.NEGATIVE_INFINITY : val);
            }
        }
        return m;
    }

    private static Mat ints(Arena arena, int rows, java.util.function.IntUnaryOperator value) {
        Mat m = new Mat(arena.allocate((long) rows * Integer.BYTES, 4), 0, rows, 1, 1, DType.I32);
        for (int r = 0; r < rows; r++) m.setInt(r, 0, value.applyAsInt(r));
        return m;
    }
}
