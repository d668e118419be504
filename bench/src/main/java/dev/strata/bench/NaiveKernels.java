// The CPU fast-mode kernels as they were before the Vector API rewrite (scalar loops, split over
// threads), kept verbatim as the 'baseline' variant so speedups are measured in the same run.
package dev.strata.bench;

import dev.strata.engine.cpu.CpuKvStorage;
import dev.strata.engine.cpu.CpuParallel;
import dev.strata.engine.cpu.Mat;
import dev.strata.engine.ops.AttentionSpec;
import dev.strata.engine.ops.WeightLayout;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

final class NaiveKernels {
    private NaiveKernels() {}

    static void matmul(Mat x, Mat w, Mat bias, WeightLayout layout, Mat out, CpuParallel par) {
        int m = x.rows(), k = x.cols(), n = out.cols();
        par.forRange(n, 16, (from, to) -> {
            for (int j = from; j < to; j++) {
                float b = bias == null ? 0 : bias.get(0, j);
                for (int i = 0; i < m; i++) {
                    float acc = 0;
                    for (int kk = 0; kk < k; kk++) acc += x.get(i, kk) * (layout == WeightLayout.OUT_IN ? w.get(j, kk) : w.get(kk, j));
                    out.set(i, j, acc + b);
                }
            }
        });
    }

    /** Cached attention for sequences in slot b at positions past[b]: append K/V, then attend. */
    static void attend(Mat q, Mat k, Mat v, Mat past, Mat slots, Mat mask, AttentionSpec s, CpuKvStorage kv, Mat out, CpuParallel par) {
        int hd = s.headDim(), width = s.kvHeads() * hd, w = kv.spec().rowWidth();
        MemorySegment kc = kv.keys(s.cacheLayer()), vc = kv.values(s.cacheLayer());
        for (int b = 0; b < s.batch(); b++) {
            for (int i = 0; i < s.seqLen(); i++) {
                int r = b * s.seqLen() + i;
                long dst = kv.rowIndex(slots.getInt(b, 0), past.getInt(b, 0) + i);
                for (int c = 0; c < width; c++) {
                    kc.setAtIndex(Mat.FLOAT, dst + c, k.get(r, c));
                    vc.setAtIndex(Mat.FLOAT, dst + c, v.get(r, c));
                }
            }
        }
        par.forRange(s.batch() * s.heads(), 1, (from, to) -> {
            float[] acc = new float[hd];
            float[] qv = new float[hd];
            for (int task = from; task < to; task++) {
                int b = task / s.heads(), h = task % s.heads(), kvh = h / s.groupSize();
                long base = kv.rowIndex(slots.getInt(b, 0), 0);
                int len = past.getInt(b, 0) + s.seqLen();
                for (int i = 0; i < s.seqLen(); i++) {
                    int r = b * s.seqLen() + i, n = s.causal() ? len - s.seqLen() + i + 1 : len;
                    for (int d = 0; d < hd; d++) qv[d] = q.get(r, h * hd + d) * s.scale();
                    Arrays.fill(acc, 0f);
                    float max = Float.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < n; j++) {
                        long kp = base + (long) j * w + (long) kvh * hd;
                        float dot = 0;
                        for (int d = 0; d < hd; d++) dot += qv[d] * kc.getAtIndex(Mat.FLOAT, kp + d);
                        if (mask != null && j < mask.cols()) dot += mask.get(b, j);
                        if (dot == Float.NEGATIVE_INFINITY) continue;
                        if (dot > max) {
                            float corr = (float) Math.exp(max - dot);
                            sum *= corr;
                            for (int d = 0; d < hd; d++) acc[d] *= corr;
                            max = dot;
                        }
                        float p = (float) Math.exp(dot - max);
                        sum += p;
                        for (int d = 0; d < hd; d++) acc[d] += p * vc.getAtIndex(Mat.FLOAT, kp + d);
                    }
                    for (int d = 0; d < hd; d++) out.set(r, h * hd + d, sum == 0 ? 0f : acc[d] / sum);
                }
            }
        });
    }
}
