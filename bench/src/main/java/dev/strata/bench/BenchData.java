// Random matrices and KV caches for the kernel benchmarks, allocated in one Arena per trial.
package dev.strata.bench;

import dev.strata.engine.cpu.Mat;
import dev.strata.engine.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

final class BenchData {
    private BenchData() {}

    /** A rows × cols matrix of dtype filled with uniform values in [-1, 1), 64-byte aligned. */
    static Mat random(Arena arena, int rows, int cols, DType dtype, long seed) {
        long n = (long) rows * cols;
        MemorySegment seg = arena.allocate(n * dtype.blockBytes(), 64);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (long i = 0; i < n; i++) store(seg, dtype, i, (float) (rnd.nextDouble() * 2 - 1));
        return new Mat(seg, 0, rows, cols, cols, dtype);
    }

    /** A zeroed F32 matrix. */
    static Mat zeros(Arena arena, int rows, int cols) {
        return new Mat(arena.allocate((long) rows * cols * Float.BYTES, 64), 0, rows, cols, cols, DType.F32);
    }

    /** A rows × 1 I32 matrix holding value in every row. */
    static Mat ints(Arena arena, int rows, int value) {
        Mat m = new Mat(arena.allocate((long) rows * Integer.BYTES, 64), 0, rows, 1, 1, DType.I32);
        for (int r = 0; r < rows; r++) m.setInt(r, 0, value);
        return m;
    }

    private static void store(MemorySegment seg, DType dtype, long i, float v) {
        switch (dtype) {
            case F32 -> seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, v);
            case F16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(v));
            case BF16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToIntBits(v) >>> 16));
            default -> throw new IllegalArgumentException("not a float dtype: " + dtype);
        }
    }
}
