// Fast CPU matmul: multi-threaded over output columns (decode) or row blocks (prefill), float
// accumulation. Placeholder-free baseline; vectorised kernels replace the inner loops.
package dev.strata.engine.cpu.kernels;

import dev.strata.engine.cpu.CpuParallel;
import dev.strata.engine.cpu.Mat;
import dev.strata.engine.ops.WeightLayout;

final class MatMulCpuFast {
    private MatMulCpuFast() {}

    static void matmul(Mat x, Mat w, Mat bias, WeightLayout layout, Mat out, CpuParallel par) {
        int m = x.rows(), k = x.cols(), n = out.cols();
        par.forRange(n, 16, (from, to) -> {
            for (int j = from; j < to; j++) {
                float b = bias == null ? 0 : bias.get(0, j);
                for (int i = 0; i < m; i++) {
                    float acc = 0;
                    for (int kk = 0; kk < k; kk++) acc += x.get(i, kk) * MatMulCpu.weight(w, layout, j, kk);
                    out.set(i, j, acc + b);
                }
            }
        });
    }
}
