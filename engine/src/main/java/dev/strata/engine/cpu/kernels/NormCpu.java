// CPU RMSNorm and LayerNorm over rows; statistics accumulate in double in both modes (cheap
// next to the matmuls), so the reference and fast paths share this code.
package dev.strata.engine.cpu.kernels;

import dev.strata.engine.cpu.CpuParallel;
import dev.strata.engine.cpu.Mat;

public final class NormCpu {
    private NormCpu() {}

    public static void rms(Mat x, Mat w, float eps, Mat out, CpuParallel par) {
        int d = x.cols();
        float[] wr = w.readRow(0, new float[d]);
        par.forRange(x.rows(), 1, (from, to) -> {
            float[] row = new float[d];
            for (int r = from; r < to; r++) {
                x.readRow(r, row);
                double ss = 0;
                for (int c = 0; c < d; c++) ss += (double) row[c] * row[c];
                double inv = 1.0 / Math.sqrt(ss / d + eps);
                for (int c = 0; c < d; c++) row[c] = (float) (row[c] * inv * wr[c]);
                out.writeRow(r, row);
            }
        });
    }

    public static void layer(Mat x, Mat w, Mat b, float eps, Mat out, CpuParallel par) {
        int d = x.cols();
        float[] wr = w.readRow(0, new float[d]), br = b == null ? new float[d] : b.readRow(0, new float[d]);
        par.forRange(x.rows(), 1, (from, to) -> {
            float[] row = new float[d];
            for (int r = from; r < to; r++) {
                x.readRow(r, row);
                double sum = 0;
                for (int c = 0; c < d; c++) sum += row[c];
                double mean = sum / d, var = 0;
                for (int c = 0; c < d; c++) {
                    double dv = row[c] - mean;
                    var += dv * dv;
                }
                double inv = 1.0 / Math.sqrt(var / d + eps);
                for (int c = 0; c < d; c++) row[c] = (float) ((row[c] - mean) * inv * wr[c] + br[c]);
                out.writeRow(r, row);
            }
        });
    }
}
