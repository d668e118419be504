// CPU RMSNorm and LayerNorm over rows. rms/layer (the reference) accumulate the statistics in
// double, one element at a time; rmsFast/layerFast (the fast path) in float lanes — sums per
// lane, then the lanes in order (Lanes.sum), so results do not change once the JIT compiles them.
// On MiniLM's [2048 × 384] rows the double loops took ~1.4 ms per call on 2 vCPUs.
package dev.strata.engine.cpu.kernels;

import dev.strata.engine.cpu.CpuParallel;
import static dev.strata.engine.cpu.simd.Lanes.F;
import static dev.strata.engine.cpu.simd.Lanes.L;

import dev.strata.engine.cpu.Mat;
import dev.strata.engine.cpu.simd.Lanes;
import jdk.incubator.vector.FloatVector;

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

    public static void rmsFast(Mat x, Mat w, float eps, Mat out, CpuParallel par) {
        int d = x.cols(), dv = d / L * L;
        float[] wr = w.readRow(0, new float[d]);
        par.forRange(x.rows(), 1, (from, to) -> {
            float[] row = new float[d];
            for (int r = from; r < to; r++) {
                x.readRow(r, row);
                FloatVector acc = FloatVector.zero(F);
                for (int c = 0; c < dv; c += L) {
                    FloatVector v = FloatVector.fromArray(F, row, c);
                    acc = v.fma(v, acc);
                }
                float ss = Lanes.sum(acc);
                for (int c = dv; c < d; c++) ss += row[c] * row[c];
                float inv = (float) (1.0 / Math.sqrt(ss / d + eps));
                int c = 0;
                for (; c < dv; c += L) FloatVector.fromArray(F, row, c).mul(inv).mul(FloatVector.fromArray(F, wr, c)).intoArray(row, c);
                for (; c < d; c++) row[c] = row[c] * inv * wr[c];
                out.writeRow(r, row);
            }
        });
    }

    public static void layerFast(Mat x, Mat w, Mat b, float eps, Mat out, CpuParallel par) {
        int d = x.cols(), dv = d / L * L;
        float[] wr = w.readRow(0, new float[d]), br = b == null ? new float[d] : b.readRow(0, new float[d]);
        par.forRange(x.rows(), 1, (from, to) -> {
            float[] row = new float[d];
            for (int r = from; r < to; r++) {
                x.readRow(r, row);
                FloatVector acc = FloatVector.zero(F);
                for (int c = 0; c < dv; c += L) acc = acc.add(FloatVector.fromArray(F, row, c));
                float sum = Lanes.sum(acc);
                for (int c = dv; c < d; c++) sum += row[c];
                float mean = sum / d;
                FloatVector mv = FloatVector.broadcast(F, mean);
                acc = FloatVector.zero(F);
                for (int c = 0; c < dv; c += L) {
                    FloatVector dev = FloatVector.fromArray(F, row, c).sub(mv);
                    acc = dev.fma(dev, acc);
                }
                float var = Lanes.sum(acc);
                for (int c = dv; c < d; c++) var += (row[c] - mean) * (row[c] - mean);
                float inv = (float) (1.0 / Math.sqrt(var / d + eps));
                int c = 0;
                for (; c < dv; c += L) {
                    FloatVector v = FloatVector.fromArray(F, row, c).sub(mv).mul(inv);
                    v.fma(FloatVector.fromArray(F, wr, c), FloatVector.fromArray(F, br, c)).intoArray(row, c);
                }
                for (; c < d; c++) row[c] = (row[c] - mean) * inv * wr[c] + br[c];
                out.writeRow(r, row);
            }
        });
    }
}
