// Fast CPU attention for short key ranges (encoders, short prefill): per task (sequence, head,
// rows i0..i1) in chunks of ROW_CHUNK query rows, three dense steps with no per-key loop:
//   S = Q·Kᵀ      [rows × keyCols]  small GEMM against keys transposed [headDim × keyCols];
//   P = softmax(S·scale + mask + bias) per row, exp in float lanes (VecMath, over whole rows);
//   O = P·V / Σ   [rows × headDim]  small GEMM against values [keys × vCols], rows of P broadcast.
// Both GEMMs share one register micro-kernel (4 rows × 2 vectors, 8 accumulators, k ascending).
// Padding columns of keysT and values are zero; P is zero past each row's visible keys (causal).
// Every output depends only on its own row's data, never on the task split or thread count.
package dev.strata.engine.cpu.kernels;

import static dev.strata.engine.cpu.simd.Lanes.F;
import static dev.strata.engine.cpu.simd.Lanes.L;

import dev.strata.engine.cpu.Mat;
import dev.strata.engine.cpu.simd.Lanes;
import dev.strata.engine.cpu.simd.VecMath;
import dev.strata.engine.ops.AttentionSpec;
import dev.strata.engine.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

final class AttentionCpuBlock {
    private AttentionCpuBlock() {}

    /** Visible keys per sequence up to which this path is taken (its score chunk stays in L2). */
    static final int MAX_KEYS = 512;
    /** Query rows per chunk: bounds the score block to ROW_CHUNK × keyCols floats. */
    private static final int ROW_CHUNK = 64;

    /** Per-worker buffers, grown on demand. */
    static final class Scratch {
        float[] keysT = new float[0], values = new float[0], q = new float[0], s = new float[0], o = new float[0], maskRow = new float[0], inv = new float[0];
        float[] keyRow = new float[0];
        int keyCols, vCols, keys;

        /** keysT[d·keyCols + j] = K[j][kvh·hd + d], values[j·vCols + d] = V[j][kvh·hd + d] for j < n; padding 0. */
        void load(AttentionCpu.KeyValues kvb, int kvh, int hd, int n) {
            keys = n;
            keyCols = (n + L - 1) / L * L;
            vCols = (hd + L - 1) / L * L;
            keysT = grow(keysT, hd * keyCols);
            values = grow(values, n * vCols);
            Arrays.fill(keysT, 0, hd * keyCols, 0f);
            if (vCols != hd) Arrays.fill(values, 0, n * vCols, 0f);
            keyRow = grow(keyRow, hd);
            MemorySegment ks = kvb.k(), vs = kvb.v();
            for (int j = 0; j < n; j++) {
                copy(ks, kvb.key(j, kvh, hd), 1f, keyRow, 0, hd);
                for (int d = 0; d < hd; d++) keysT[d * keyCols + j] = keyRow[d];
                copy(vs, kvb.value(j, kvh, hd), 1f, values, j * vCols, hd);
            }
        }

        private static float[] grow(float[] a, int n) { return a.length >= n ? a : new float[n]; }
    }

    /** Rows [i0, i1) of sequence b, head h; keys already in w (w.load for the rows' visible keys). */
    static void rows(Mat q, int b, int h, int i0, int i1, AttentionCpu.KeyValues kvb, Mat mask, Mat bias, AttentionSpec s, Mat out, Scratch w) {
        int hd = s.headDim(), kc = w.keyCols, vc = w.vCols;
        w.maskRow = Scratch.grow(w.maskRow, kc);
        Arrays.fill(w.maskRow, 0, kc, 0f);
        if (mask != null) for (int j = 0, jn = Math.min(w.keys, mask.cols()); j < jn; j++) w.maskRow[j] = mask.get(b, j);
        for (int c0 = i0; c0 < i1; c0 += ROW_CHUNK) {
            int rows = Math.min(ROW_CHUNK, i1 - c0);
            w.q = Scratch.grow(w.q, rows * hd);
            w.s = Scratch.grow(w.s, rows * kc);
            w.o = Scratch.grow(w.o, rows * vc);
            w.inv = Scratch.grow(w.inv, rows);
            for (int r = 0; r < rows; r++) readQuery(q, b * s.seqLen() + c0 + r, h * hd, hd, s.scale(), w.q, r * hd);
            gemm(w.q, hd, w.keysT, kc, hd, w.s, kc, rows, kc);
            for (int r = 0; r < rows; r++) {
                int i = c0 + r;
                w.inv[r] = softmaxRow(w.s, r * kc, AttentionCpu.visible(s, kvb, i), kc, w.maskRow, b, h, i, bias, s);
            }
            gemm(w.s, kc, w.values, vc, w.keys, w.o, vc, rows, vc);
            for (int r = 0; r < rows; r++) store(w.o, r * vc, w.inv[r], out.seg(), out.index(b * s.seqLen() + c0 + r, h * hd), hd);
        }
    }

    /**
     * dst[d0, d0 + n) = seg[i, i + n)·scale (F32) in vector loads: a head's row is a few vectors,
     * where a bulk copy's fixed cost would dominate.
     */
    static void copy(MemorySegment seg, long i, float scale, float[] dst, int d0, int n) {
        int d = 0;
        for (; d + L <= n; d += L) Lanes.f32(seg, i + d).mul(scale).intoArray(dst, d0 + d);
        for (; d < n; d++) dst[d0 + d] = Lanes.f32At(seg, i + d) * scale;
    }

    /** dst[d0, d0 + hd) = q(r, c0 + d)·scale. */
    private static void readQuery(Mat q, int r, int c0, int hd, float scale, float[] dst, int d0) {
        if (q.dtype() == DType.F32) {
            copy(q.seg(), q.index(r, c0), scale, dst, d0, hd);
        } else {
            for (int d = 0; d < hd; d++) dst[d0 + d] = q.get(r, c0 + d) * scale;
        }
    }

    /**
     * Row [r0, r0 + kc) of S: scores of keys j < n get the mask row and bias added, then
     * e^(score − max); the rest 0. Returns 1/Σ, or 0 when every key is masked to −∞ (the row of
     * P is then all 0, and so is the output).
     */
    private static float softmaxRow(float[] sc, int r0, int n, int kc, float[] maskRow, int b, int h, int i, Mat bias, AttentionSpec s) {
        if (bias != null) for (int j = 0; j < n; j++) sc[r0 + j] += AttentionCpu.bias(bias, s, b, h, i, j);
        FloatVector mx = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j + L <= n; j += L) {
            FloatVector v = FloatVector.fromArray(F, sc, r0 + j).add(FloatVector.fromArray(F, maskRow, j));
            v.intoArray(sc, r0 + j);
            mx = mx.max(v);
        }
        float max = mx.reduceLanes(VectorOperators.MAX); // exact: lane order cannot change a maximum
        for (; j < n; j++) max = Math.max(max, sc[r0 + j] += maskRow[j]);
        Arrays.fill(sc, r0 + n, r0 + kc, 0f);
        if (max == Float.NEGATIVE_INFINITY) {
            Arrays.fill(sc, r0, r0 + n, 0f);
            return 0f;
        }
        VecMath.expShifted(sc, r0, n, max);
        FloatVector acc = FloatVector.zero(F);
        for (j = 0; j + L <= n; j += L) acc = acc.add(FloatVector.fromArray(F, sc, r0 + j));
        float sum = Lanes.sum(acc);
        for (; j < n; j++) sum += sc[r0 + j];
        return 1f / sum;
    }

    /** out[o, o + hd) = acc[a0, a0 + hd)·inv. */
    private static void store(float[] acc, int a0, float inv, MemorySegment os, long o, int hd) {
        int d = 0;
        for (; d + L <= hd; d += L) Lanes.store(FloatVector.fromArray(F, acc, a0 + d).mul(inv), os, o + d);
        for (; d < hd; d++) Lanes.f32Set(os, o + d, acc[a0 + d] * inv);
    }

    /**
     * c[i·cs + j] = Σ_kk a[i·as + kk]·b[kk·bs + j], kk ascending, for i < rows and j < cols (cols a
     * multiple of L): 4-row × 2-vector register tiles, then single rows and a last single vector.
     */
    static void gemm(float[] a, int as, float[] b, int bs, int k, float[] c, int cs, int rows, int cols) {
        int i = 0;
        for (; i + 4 <= rows; i += 4) {
            int j = 0;
            for (; j + 2 * L <= cols; j += 2 * L) tile4x2(a, i * as, as, b, j, bs, k, c, i * cs + j, cs);
            for (; j < cols; j += L) for (int r = i; r < i + 4; r++) tile1x1(a, r * as, b, j, bs, k, c, r * cs + j);
        }
        for (; i < rows; i++) for (int j = 0; j < cols; j += L) tile1x1(a, i * as, b, j, bs, k, c, i * cs + j);
    }

    private static void tile4x2(float[] a, int a0, int as, float[] b, int b0, int bs, int k, float[] c, int c0, int cs) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int kk = 0; kk < k; kk++) {
            int p = b0 + kk * bs, q = a0 + kk;
            FloatVector w0 = FloatVector.fromArray(F, b, p), w1 = FloatVector.fromArray(F, b, p + L);
            FloatVector x = FloatVector.broadcast(F, a[q]);
            c00 = x.fma(w0, c00);
            c01 = x.fma(w1, c01);
            x = FloatVector.broadcast(F, a[q + as]);
            c10 = x.fma(w0, c10);
            c11 = x.fma(w1, c11);
            x = FloatVector.broadcast(F, a[q + 2 * as]);
            c20 = x.fma(w0, c20);
            c21 = x.fma(w1, c21);
            x = FloatVector.broadcast(F, a[q + 3 * as]);
            c30 = x.fma(w0, c30);
            c31 = x.fma(w1, c31);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + L);
        c10.intoArray(c, c0 + cs);
        c11.intoArray(c, c0 + cs + L);
        c20.intoArray(c, c0 + 2 * cs);
        c21.intoArray(c, c0 + 2 * cs + L);
        c30.intoArray(c, c0 + 3 * cs);
        c31.intoArray(c, c0 + 3 * cs + L);
    }

    private static void tile1x1(float[] a, int a0, float[] b, int b0, int bs, int k, float[] c, int c0) {
        FloatVector acc = FloatVector.zero(F);
        for (int kk = 0; kk < k; kk++) acc = FloatVector.broadcast(F, a[a0 + kk]).fma(FloatVector.fromArray(F, b, b0 + kk * bs), acc);
        acc.intoArray(c, c0);
    }
}
