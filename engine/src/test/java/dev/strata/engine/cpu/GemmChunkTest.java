// The GEMM path with a weight too large to pack in one pass (n·k over the 8M-float cap, so two
// column chunks) and an IN_OUT BF16 weight against the double-accumulating reference matmul.
package dev.strata.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.cpu.kernels.MatMulCpu;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.engine.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GemmChunkTest {
    @ParameterizedTest(name = "{0}x{1}x{2} {3} {4}")
    @CsvSource({"37,2048,4200,OUT_IN,F32", "45,96,1000,IN_OUT,BF16"})
    void matchesTheReference(int m, int k, int n, WeightLayout layout, DType dtype) {
        try (Arena arena = Arena.ofShared(); CpuParallel par = new CpuParallel(2)) {
            SplittableRandom rnd = new SplittableRandom(m);
            Mat x = random(arena, m, k, DType.F32, rnd);
            Mat w = layout == WeightLayout.OUT_IN ? random(arena, n, k, dtype, rnd) : random(arena, k, n, dtype, rnd);
            Mat bias = random(arena, 1, n, DType.F32, rnd);
            Mat fast = random(arena, m, n, DType.F32, rnd), ref = random(arena, m, n, DType.F32, rnd);
            MatMulCpu.fast(x, w, bias, layout, fast, par);
            MatMulCpu.reference(x, w, bias, layout, ref);
            double worst = 0;
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) worst = Math.max(worst, Math.abs(fast.get(i, j) - ref.get(i, j)));
            assertTrue(worst < 1e-3, "worst |fast − reference| = " + worst);
        }
    }

    private static Mat random(Arena arena, int rows, int cols, DType dtype, SplittableRandom rnd) {
        MemorySegment s = arena.allocate((long) rows * cols * dtype.bytesFor(1), 64);
        for (long i = 0; i < (long) rows * cols; i++) {
            float v = (float) rnd.nextDouble(-1, 1);
            if (dtype == DType.F32) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
            else s.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) (Float.floatToRawIntBits(v) >>> 16));
        }
        return new Mat(s, 0, rows, cols, cols, dtype);
    }
}
