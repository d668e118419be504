// CPU RMSNorm and LayerNorm over rows; statistics accumulate in double in both modes (cheap
// next to the matmuls), so the reference and fast paths share this code.
package dev.strata.engine.cpu.kernels;

import dev.strata.engine.cpu.CpuParallel;
import dev.strata.engine.cpu.Mat;

public final class NormCpu {
    private NormCpu() {}

    public static void rms(Mat x, Mat w, float eps, Mat out, CpuParallel par) {
        int d = x.cols();
        par.forRange(x.rows(), 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                double ss = 0;
                for (int c = 0; c < d; c++) {
                    double v = x.get(r, c);
                    ss += v * v;
                }
                double inv = 1.0 / Math.sqrt(ss / d + eps);
                for (int c = 0; c < d; c++) out.set(r, c, (float) (x.get(r, c) * inv * w.get(0, c)));
            }
        });
    }

    public static void layer(Mat x, Mat w, Mat b, float eps, Mat out, CpuParallel par) {
        int d = x.cols();
        par.forRange(x.rows(), 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                double sum = 0;
                for (int c = 0; c < d; c++) sum += x.get(r, c);
                double mean = sum / d, var = 0;
                for (int c = 0; c < d; c++) {
                    double dv = x.get(r, c) - mean;
                    var += dv * dv;
                }
                double inv = 1.0 / Math.sqrt(var / d + eps);
                for (int c = 0; c < d; c++) {
                    double y = (x.get(r, c) - mean) * inv * w.get(0, c) + (b == null ? 0 : b.get(0, c));
                    out.set(r, c, (float) y);
                }
            }
        });
    }
}
