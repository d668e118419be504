// Fast CPU matmul with the Vector API (kernels in cpu/simd), float accumulation. Kernel ladder:
//  1. k == 0                → out = bias (nothing to reduce).
//  2. m < GEMM_MIN_ROWS     → Gemv: decode shapes are bound by streaming W once; parallel over
//                             output columns (OUT_IN: dot per column; IN_OUT: axpy over column blocks).
//  3. otherwise             → Gemm: W packed into k × NR panels per call (in column chunks),
//                             blocks of x packed into 4-row tiles; parallel over row blocks (and
//                             column strips when the blocks are few).
// GEMM_MIN_ROWS = 32: at 768×768 on 2 cores (AVX2), Gemv beat Gemm up to 32 rows (F32 OUT_IN,
// 16 rows: 783 vs 1170 µs; 32 rows: 1148 vs 2521 µs) and they were level at 64–128 rows on a
// loaded machine; Gemm's scalar transposing pack for OUT_IN is what small m cannot amortise.
package dev.strata.engine.cpu.kernels;

import dev.strata.engine.cpu.CpuParallel;
import dev.strata.engine.cpu.Mat;
import dev.strata.engine.cpu.simd.Gemm;
import dev.strata.engine.cpu.simd.Gemv;
import dev.strata.engine.cpu.simd.Lanes;
import dev.strata.engine.ops.WeightLayout;

final class MatMulCpuFast {
    private MatMulCpuFast() {}

    /** Rows of x from which the packed GEMM path beats streaming W once per 4 rows. */
    static final int GEMM_MIN_ROWS = 32;
    /** Columns per task at least (OUT_IN decode). */
    private static final int COLUMN_GRAIN = 16;
    /** Vectors of columns per task at least (IN_OUT decode). */
    private static final int VECTOR_GRAIN = 16;

    static void matmul(Mat x, Mat w, Mat bias, WeightLayout layout, Mat out, CpuParallel par) {
        int m = x.rows(), k = x.cols(), n = out.cols();
        if (k == 0) {
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) out.set(i, j, bias == null ? 0f : bias.get(0, j));
        } else if (m < GEMM_MIN_ROWS && layout == WeightLayout.OUT_IN) {
            par.forRange(n, COLUMN_GRAIN, (from, to) -> Gemv.outIn(x, w, bias, out, from, to));
        } else if (m < GEMM_MIN_ROWS) {
            int vectors = (n + Lanes.L - 1) / Lanes.L;
            par.forRange(vectors, VECTOR_GRAIN, (from, to) -> Gemv.inOut(x, w, bias, out, from * Lanes.L, Math.min(n, to * Lanes.L)));
        } else {
            Gemm.matmul(x, w, layout == WeightLayout.OUT_IN, bias, out, par);
        }
    }
}
