// CPU matmul: out[m, n] = x[m, k] · W (+ bias). Reference accumulates in double; the fast path
// is multi-threaded float (see MatMulCpuFast for the Vector API kernels).
package dev.strata.engine.cpu.kernels;

import dev.strata.engine.cpu.CpuParallel;
import dev.strata.engine.cpu.Mat;
import dev.strata.engine.ops.Activation;
import dev.strata.engine.ops.WeightLayout;

public final class MatMulCpu {
    private MatMulCpu() {}

    /** Rows of x per pass of the reference: bounds its scratch to ROWS × (k + n) values. */
    private static final int ROWS = 64;

    /**
     * Each output sums bias, then x[i, kk]·W(j, kk) for kk ascending, in double. Per block of ROWS
     * rows, x and one W row at a time are first copied to float arrays (one dtype decode per element,
     * sequential reads); IN_OUT weights are walked row by row (kk outer) with every output's partial
     * sum kept, so the order of each sum is the same for both layouts.
     */
    public static void reference(Mat x, Mat w, Mat bias, WeightLayout layout, Mat out) {
        int m = x.rows(), k = x.cols(), n = out.cols();
        float[] xs = new float[Math.min(m, ROWS) * k], row = new float[layout == WeightLayout.OUT_IN ? k : n];
        double[] acc = new double[Math.min(m, ROWS) * n];
        for (int i0 = 0; i0 < m; i0 += ROWS) {
            int rows = Math.min(ROWS, m - i0);
            for (int i = 0; i < rows; i++) for (int kk = 0; kk < k; kk++) xs[i * k + kk] = x.get(i0 + i, kk);
            for (int i = 0; i < rows; i++) for (int j = 0; j < n; j++) acc[i * n + j] = bias == null ? 0 : bias.get(0, j);
            if (layout == WeightLayout.OUT_IN) {
                for (int j = 0; j < n; j++) {
                    for (int kk = 0; kk < k; kk++) row[kk] = w.get(j, kk);
                    for (int i = 0; i < rows; i++) {
                        double a = acc[i * n + j];
                        for (int kk = 0; kk < k; kk++) a += (double) xs[i * k + kk] * row[kk];
                        acc[i * n + j] = a;
                    }
                }
            } else {
                for (int kk = 0; kk < k; kk++) {
                    for (int j = 0; j < n; j++) row[j] = w.get(kk, j);
                    for (int i = 0; i < rows; i++) {
                        double xv = xs[i * k + kk];
                        for (int j = 0; j < n; j++) acc[i * n + j] += xv * row[j];
                    }
                }
            }
            for (int i = 0; i < rows; i++) for (int j = 0; j < n; j++) out.set(i0 + i, j, (float) acc[i * n + j]);
        }
    }

    public static void fast(Mat x, Mat w, Mat bias, WeightLayout layout, Mat out, CpuParallel par) {
        MatMulCpuFast.matmul(x, w, bias, layout, out, par);
    }

    /** out = act(x·W + bias) + residual (act, residual may be null), the same bits as the product, Activate and Add in turn. */
    public static void fast(Mat x, Mat w, Mat bias, WeightLayout layout, Activation act, Mat residual, Mat out, CpuParallel par) {
        MatMulCpuFast.matmul(x, w, bias, layout, act, residual, out, par);
    }
}
