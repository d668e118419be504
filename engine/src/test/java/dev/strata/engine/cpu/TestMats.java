// Helpers for the CPU kernel tests: random matrices of any float dtype as (possibly strided,
// offset) views, guarded outputs, and the relative error max|a − b| / max|b| that fails on NaN.
package dev.strata.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

final class TestMats {
    private TestMats() {}

    static final float SENTINEL = -12345.678f;

    /** rows × cols view at element offset `offset` with row stride `stride`, values uniform in [-1, 1). */
    static Mat random(Arena arena, SplittableRandom rnd, int rows, int cols, int offset, int stride, DType dtype) {
        long n = offset + (long) Math.max(0, rows - 1) * stride + cols;
        MemorySegment seg = arena.allocate(n * dtype.blockBytes(), 1);
        for (long i = 0; i < n; i++) put(seg, dtype, i, (float) (rnd.nextDouble() * 2 - 1));
        return new Mat(seg, offset, rows, cols, stride, dtype);
    }

    /** Contiguous F32 rows × cols at element offset `guard`, with `guard` sentinels before and after. */
    static Mat guarded(Arena arena, int rows, int cols, int guard) {
        long n = (long) rows * cols + 2L * guard;
        MemorySegment seg = arena.allocate(n * Float.BYTES, 1);
        for (long i = 0; i < n; i++) seg.setAtIndex(Mat.FLOAT, i, SENTINEL);
        return new Mat(seg, guard, rows, cols, cols, DType.F32);
    }

    static void assertGuards(Mat out, int guard) {
        long end = out.offset() + (long) out.rows() * out.cols();
        for (long i = 0; i < guard; i++) {
            assertEquals(SENTINEL, out.seg().getAtIndex(Mat.FLOAT, i), "element " + (guard - i) + " before the output overwritten");
            assertEquals(SENTINEL, out.seg().getAtIndex(Mat.FLOAT, end + i), "element " + i + " after the output overwritten");
        }
    }

    /** max|a − b| / max|b| over all elements; NaN or Inf anywhere fails. */
    static double relError(Mat a, Mat b, String what) {
        double maxDiff = 0, maxRef = 0;
        for (int r = 0; r < a.rows(); r++) {
            for (int c = 0; c < a.cols(); c++) {
                float x = a.get(r, c), y = b.get(r, c);
                assertTrue(Float.isFinite(x) && Float.isFinite(y), what + ": non-finite at (" + r + ", " + c + "): " + x + " vs " + y);
                maxDiff = Math.max(maxDiff, Math.abs((double) x - y));
                maxRef = Math.max(maxRef, Math.abs(y));
            }
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }

    static void put(MemorySegment seg, DType dtype, long i, float v) {
        switch (dtype) {
            case F32 -> seg.setAtIndex(Mat.FLOAT, i, v);
            case F16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(v));
            case BF16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToIntBits(v) >>> 16));
            default -> throw new IllegalArgumentException("not a float dtype: " + dtype);
        }
    }
}
