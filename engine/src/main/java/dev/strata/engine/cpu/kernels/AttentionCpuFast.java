// Fast CPU attention: one task per (sequence, head), float math with an online softmax so no
// score matrix is materialised.
package dev.strata.engine.cpu.kernels;

import dev.strata.engine.cpu.CpuKvStorage;
import dev.strata.engine.cpu.CpuParallel;
import dev.strata.engine.cpu.Mat;
import dev.strata.engine.ops.AttentionSpec;

final class AttentionCpuFast {
    private AttentionCpuFast() {}

    static void attend(Mat q, Mat k, Mat v, Mat past, Mat slots, Mat mask, AttentionSpec s, CpuKvStorage kv, Mat out, CpuParallel par) {
        int hd = s.headDim();
        AttentionCpu.KeyValues[] kvs = new AttentionCpu.KeyValues[s.batch()];
        for (int b = 0; b < s.batch(); b++) kvs[b] = AttentionCpu.keyValues(k, v, past, slots, s, kv, b);
        par.forRange(s.batch() * s.heads(), 1, (from, to) -> {
            float[] acc = new float[hd];
            float[] qv = new float[hd];
            for (int task = from; task < to; task++) {
                int b = task / s.heads(), h = task % s.heads(), kvh = h / s.groupSize();
                AttentionCpu.KeyValues kvb = kvs[b];
                for (int i = 0; i < s.seqLen(); i++) {
                    int r = b * s.seqLen() + i, n = AttentionCpu.visible(s, kvb, i);
                    for (int d = 0; d < hd; d++) qv[d] = q.get(r, h * hd + d) * s.scale();
                    java.util.Arrays.fill(acc, 0f);
                    float max = Float.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < n; j++) {
                        long kp = kvb.key(j, kvh, hd);
                        float dot = 0;
                        for (int d = 0; d < hd; d++) dot += qv[d] * kvb.k().getAtIndex(Mat.FLOAT, kp + d);
                        if (mask != null && j < mask.cols()) dot += mask.get(b, j);
                        if (dot == Float.NEGATIVE_INFINITY) continue;
                        long vp = kvb.value(j, kvh, hd);
                        if (dot > max) {
                            float corr = (float) Math.exp(max - dot);
                            sum *= corr;
                            for (int d = 0; d < hd; d++) acc[d] *= corr;
                            max = dot;
                        }
                        float p = (float) Math.exp(dot - max);
                        sum += p;
                        for (int d = 0; d < hd; d++) acc[d] += p * kvb.v().getAtIndex(Mat.FLOAT, vp + d);
                    }
                    for (int d = 0; d < hd; d++) out.set(r, h * hd + d, sum == 0 ? 0f : acc[d] / sum);
                }
            }
        });
    }
}
