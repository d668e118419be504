// CPU fused attention: appends the new K/V rows to the cache (when cached), then for every
// (sequence, head, query) computes softmax(q·Kᵀ·scale + mask + bias) · V over the visible keys.
// GQA/MQA: query head h reads KV head h / groupSize. The reference accumulates in double;
// the fast path (AttentionCpuFast) is multi-threaded float with an online softmax.
package dev.strata.engine.cpu.kernels;

import dev.strata.engine.cpu.CpuKvStorage;
import dev.strata.engine.cpu.CpuParallel;
import dev.strata.engine.cpu.Mat;
import dev.strata.engine.ops.AttentionSpec;
import dev.strata.engine.tensor.DType;
import java.lang.foreign.MemorySegment;

public final class AttentionCpu {
    private AttentionCpu() {}

    /** Where the keys and values of one sequence live: the cache or the k/v inputs. */
    record KeyValues(MemorySegment k, long kBase, int kStride, MemorySegment v, long vBase, int vStride, int length) {
        long key(int j, int kvHead, int headDim) { return kBase + (long) j * kStride + (long) kvHead * headDim; }
        long value(int j, int kvHead, int headDim) { return vBase + (long) j * vStride + (long) kvHead * headDim; }
    }

    /** Copies the step's K/V rows into the cache and checks capacity; no-op without a cache. */
    static void append(Mat k, Mat v, Mat past, Mat slots, AttentionSpec s, CpuKvStorage kv) {
        if (!s.cached()) return;
        int width = s.kvHeads() * s.headDim();
        MemorySegment kc = kv.keys(s.cacheLayer()), vc = kv.values(s.cacheLayer());
        for (int b = 0; b < s.batch(); b++) {
            int p0 = past.getInt(b, 0), slot = slots.getInt(b, 0);
            if (slot < 0 || slot >= kv.spec().slots()) throw new IndexOutOfBoundsException("KV slot " + slot + " outside [0, " + kv.spec().slots() + ")");
            if (p0 < 0 || p0 + s.seqLen() > kv.spec().capacity()) {
                throw new IndexOutOfBoundsException("sequence " + b + " at position " + p0 + " + " + s.seqLen() + " exceeds KV capacity " + kv.spec().capacity());
            }
            for (int i = 0; i < s.seqLen(); i++) {
                int r = b * s.seqLen() + i;
                long dst = kv.rowIndex(slot, p0 + i);
                for (int c = 0; c < width; c++) {
                    kc.setAtIndex(Mat.FLOAT, dst + c, k.get(r, c));
                    vc.setAtIndex(Mat.FLOAT, dst + c, v.get(r, c));
                }
            }
        }
    }

    static KeyValues keyValues(Mat k, Mat v, Mat past, Mat slots, AttentionSpec s, CpuKvStorage kv, int b) {
        if (s.cached()) {
            int slot = slots.getInt(b, 0);
            int len = past.getInt(b, 0) + s.seqLen();
            long base = kv.rowIndex(slot, 0);
            int w = kv.spec().rowWidth();
            return new KeyValues(kv.keys(s.cacheLayer()), base, w, kv.values(s.cacheLayer()), base, w, len);
        }
        requireF32(k);
        requireF32(v);
        int r0 = b * s.kvLen();
        return new KeyValues(k.seg(), k.index(r0, 0), k.stride(), v.seg(), v.index(r0, 0), v.stride(), s.kvLen());
    }

    /** Number of keys query i of sequence b may see. */
    static int visible(AttentionSpec s, KeyValues kvs, int i) {
        return s.causal() ? kvs.length() - s.seqLen() + i + 1 : kvs.length();
    }

    /** Position bias of (b, head h, query i, key j): bias[(b·seqLen + i)·keyCols + j, h] for j < keyCols, else 0. */
    static float bias(Mat bias, AttentionSpec s, int b, int h, int i, int j) {
        if (bias == null) return 0f;
        int keyCols = bias.rows() / (s.batch() * s.seqLen());
        return j < keyCols ? bias.get((b * s.seqLen() + i) * keyCols + j, h) : 0f;
    }

    private static void requireF32(Mat m) {
        if (m.dtype() != DType.F32) throw new IllegalStateException("attention inputs must be F32; got " + m.dtype());
    }

    public static void reference(Mat q, Mat k, Mat v, Mat past, Mat slots, Mat mask, AttentionSpec s, CpuKvStorage kv, Mat out) {
        reference(q, k, v, past, slots, mask, null, s, kv, out);
    }

    /** bias: F32 [batch·seqLen·keyCols, heads] or null (see Attention). */
    public static void reference(Mat q, Mat k, Mat v, Mat past, Mat slots, Mat mask, Mat bias, AttentionSpec s, CpuKvStorage kv, Mat out) {
        append(k, v, past, slots, s, kv);
        int hd = s.headDim();
        for (int b = 0; b < s.batch(); b++) {
            KeyValues kvs = keyValues(k, v, past, slots, s, kv, b);
            for (int h = 0; h < s.heads(); h++) {
                int kvh = h / s.groupSize();
                for (int i = 0; i < s.seqLen(); i++) {
                    int r = b * s.seqLen() + i, n = visible(s, kvs, i);
                    double[] scores = new double[n];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        double dot = 0;
                        long kp = kvs.key(j, kvh, hd);
                        for (int d = 0; d < hd; d++) dot += (double) q.get(r, h * hd + d) * kvs.k().getAtIndex(Mat.FLOAT, kp + d);
                        double sc = dot * s.scale() + (mask != null && j < mask.cols() ? mask.get(b, j) : 0) + bias(bias, s, b, h, i, j);
                        scores[j] = sc;
                        max = Math.max(max, sc);
                    }
                    double sum = 0;
                    for (int j = 0; j < n; j++) {
                        scores[j] = max == Double.NEGATIVE_INFINITY ? 0 : Math.exp(scores[j] - max);
                        sum += scores[j];
                    }
                    for (int d = 0; d < hd; d++) {
                        double acc = 0;
                        for (int j = 0; j < n; j++) acc += scores[j] * kvs.v().getAtIndex(Mat.FLOAT, kvs.value(j, kvh, hd) + d);
                        out.set(r, h * hd + d, sum == 0 ? 0f : (float) (acc / sum));
                    }
                }
            }
        }
    }

    public static void fast(Mat q, Mat k, Mat v, Mat past, Mat slots, Mat mask, AttentionSpec s, CpuKvStorage kv, Mat out, CpuParallel par) {
        fast(q, k, v, past, slots, mask, null, s, kv, out, par);
    }

    public static void fast(Mat q, Mat k, Mat v, Mat past, Mat slots, Mat mask, Mat bias, AttentionSpec s, CpuKvStorage kv, Mat out, CpuParallel par) {
        append(k, v, past, slots, s, kv);
        AttentionCpuFast.attend(q, k, v, past, slots, mask, bias, s, kv, out, par);
    }
}
