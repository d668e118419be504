// CPU matmul: out[m, n] = x[m, k] · W (+ bias). Reference accumulates in double; the fast path
// is multi-threaded float (see MatMulCpuFast for the Vector API kernels).
package dev.strata.engine.cpu.kernels;

import dev.strata.engine.cpu.CpuParallel;
import dev.strata.engine.cpu.Mat;
import dev.strata.engine.ops.WeightLayout;

public final class MatMulCpu {
    private MatMulCpu() {}

    /** Weight element for output column j and reduction index kk, whatever the layout. */
    static float weight(Mat w, WeightLayout layout, int j, int kk) {
        return layout == WeightLayout.OUT_IN ? w.get(j, kk) : w.get(kk, j);
    }

    public static void reference(Mat x, Mat w, Mat bias, WeightLayout layout, Mat out) {
        int m = x.rows(), k = x.cols(), n = out.cols();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = bias == null ? 0 : bias.get(0, j);
                for (int kk = 0; kk < k; kk++) acc += (double) x.get(i, kk) * weight(w, layout, j, kk);
                out.set(i, j, (float) acc);
            }
        }
    }

    public static void fast(Mat x, Mat w, Mat bias, WeightLayout layout, Mat out, CpuParallel par) {
        MatMulCpuFast.matmul(x, w, bias, layout, out, par);
    }
}
