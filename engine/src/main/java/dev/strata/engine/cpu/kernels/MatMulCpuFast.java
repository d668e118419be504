// Fast CPU matmul with the Vector API (kernels in cpu/simd), float accumulation. Kernel ladder:
//  1. k == 0                → out = bias (nothing to reduce).
//  2. m < GEMM_MIN_ROWS     → Gemv: decode shapes are bound by streaming W once; parallel over
//                             output columns (OUT_IN: dot per column; IN_OUT: axpy over column blocks).
//  3. otherwise             → Gemm: W packed into k × NR panels per call (in column chunks),
//                             blocks of x packed into 4-row tiles; parallel over row blocks (and
//                             column strips when the blocks are few).
// A fused activation and residual add (MatMul's parts) run as an epilogue: in the GEMM per
// finished block while it is in cache, after the product on the other paths.
// GEMM_MIN_ROWS = 32: at 768×768 on 2 cores (AVX2), Gemv beat Gemm up to 32 rows (F32 OUT_IN,
// 16 rows: 783 vs 1170 µs; 32 rows: 1148 vs 2521 µs) and they were level at 64–128 rows on a
// loaded machine; Gemm's scalar transposing pack for OUT_IN is what small m cannot amortise.
package dev.strata.engine.cpu.kernels;

import dev.strata.engine.cpu.CpuParallel;
import dev.strata.engine.cpu.Mat;
import dev.strata.engine.cpu.simd.Gemm;
import dev.strata.engine.cpu.simd.Gemv;
import dev.strata.engine.cpu.simd.Lanes;
import dev.strata.engine.ops.Activation;
import dev.strata.engine.ops.WeightLayout;
import java.lang.foreign.MemorySegment;

final class MatMulCpuFast {
    private MatMulCpuFast() {}

    /** Rows of x from which the packed GEMM path beats streaming W once per 4 rows. */
    static final int GEMM_MIN_ROWS = 32;
    /** Columns per task at least (OUT_IN decode). */
    private static final int COLUMN_GRAIN = 16;
    /** Vectors of columns per task at least (IN_OUT decode). */
    private static final int VECTOR_GRAIN = 16;

    static void matmul(Mat x, Mat w, Mat bias, WeightLayout layout, Mat out, CpuParallel par) {
        matmul(x, w, bias, layout, null, null, out, par);
    }

    /**
     * out = act(x·W + bias) + residual (act and residual may be null), bit for bit the matmul
     * followed by the Activate and Add ops; the GEMM applies them per finished block of outputs
     * while it is in cache, the other paths in one pass after the product.
     */
    static void matmul(Mat x, Mat w, Mat bias, WeightLayout layout, Activation act, Mat residual, Mat out, CpuParallel par) {
        int m = x.rows(), k = x.cols(), n = out.cols();
        Gemm.Epilogue epilogue = act == null && residual == null ? null : (i0, rows, j0, j1) -> finish(out, act, residual, i0, rows, j0, j1);
        if (m >= GEMM_MIN_ROWS && k > 0) {
            Gemm.matmul(x, w, layout == WeightLayout.OUT_IN, bias, out, par, epilogue);
            return;
        }
        product(x, w, bias, layout, out, par);
        if (epilogue != null) par.forRange(m, 1, (from, to) -> epilogue.apply(from, to - from, 0, n));
    }

    /** out[i0 .. i0 + rows, j0 .. j1) = act(out) + residual, in float, as Activate then Add compute it. */
    private static void finish(Mat out, Activation act, Mat residual, int i0, int rows, int j0, int j1) {
        int n = j1 - j0;
        float[] row = new float[n], res = residual == null ? null : new float[n];
        float[] tmp = act != null && ElementwiseCpu.needsScratch(act, false) ? new float[n] : null;
        for (int i = i0; i < i0 + rows; i++) {
            MemorySegment.copy(out.seg(), Mat.FLOAT, out.index(i, j0) * Float.BYTES, row, 0, n);
            if (act != null) ElementwiseCpu.activateRow(row, n, act, false, tmp);
            if (residual != null) {
                MemorySegment.copy(residual.seg(), Mat.FLOAT, residual.index(i, j0) * Float.BYTES, res, 0, n);
                for (int c = 0; c < n; c++) row[c] += res[c];
            }
            MemorySegment.copy(row, 0, out.seg(), Mat.FLOAT, out.index(i, j0) * Float.BYTES, n);
        }
    }

    /** out = x·W + bias by the ladder in the header. */
    private static void product(Mat x, Mat w, Mat bias, WeightLayout layout, Mat out, CpuParallel par) {
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
