// CPU rotary embedding, rotate-half layout: for pair i < rotaryDims/2 of each head,
// (x[i], x[i + half]) is rotated by pos * invFreq[i]; dims past rotaryDims are copied.
// Angles are computed in double in both modes.
package dev.strata.engine.cpu.kernels;

import dev.strata.engine.cpu.CpuParallel;
import dev.strata.engine.cpu.Mat;

public final class RopeCpu {
    private RopeCpu() {}

    public static void run(Mat x, Mat positions, Mat invFreq, int heads, int headDim, int rotaryDims, Mat out, CpuParallel par) {
        int half = rotaryDims / 2;
        par.forRange(x.rows(), 1, (from, to) -> {
            double[] cos = new double[half], sin = new double[half];
            for (int r = from; r < to; r++) {
                int pos = positions.getInt(r, 0);
                for (int i = 0; i < half; i++) {
                    double a = (double) pos * invFreq.get(0, i);
                    cos[i] = Math.cos(a);
                    sin[i] = Math.sin(a);
                }
                for (int h = 0; h < heads; h++) {
                    int base = h * headDim;
                    for (int i = 0; i < half; i++) {
                        double a = x.get(r, base + i), b = x.get(r, base + i + half);
                        out.set(r, base + i, (float) (a * cos[i] - b * sin[i]));
                        out.set(r, base + i + half, (float) (b * cos[i] + a * sin[i]));
                    }
                    for (int i = rotaryDims; i < headDim; i++) out.set(r, base + i, x.get(r, base + i));
                }
            }
        });
    }
}
