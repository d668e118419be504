// Decode-shaped matmul (a few rows of x): bound by streaming the weight once, so every weight
// vector loaded is used for all rows before moving on. OUT_IN computes each output as dot
// products of x rows with one contiguous weight row (up to 4 rows per weight load); IN_OUT keeps
// 4 vectors of output columns in registers over a chunk of ROW_CHUNK weight rows (axpy over
// weight rows), sweeping the columns so each of those rows is read sequentially.
package dev.strata.engine.cpu.simd;

import static dev.strata.engine.cpu.simd.Lanes.F;
import static dev.strata.engine.cpu.simd.Lanes.L;

import dev.strata.engine.cpu.Mat;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

public final class Gemv {
    private Gemv() {}

    /** IN_OUT weight rows per pass: that many concurrent sequential streams over W's rows. */
    private static final int ROW_CHUNK = 16;

    /** OUT_IN (W is [n, k]): out[i, j] = x[i, :] · W[j, :] + bias[j] for all rows i, j in [j0, j1). */
    public static void outIn(Mat x, Mat w, Mat bias, Mat out, int j0, int j1) {
        int m = x.rows(), k = x.cols(), kind = Lanes.kind(w.dtype());
        MemorySegment xs = x.seg(), ws = w.seg(), os = out.seg();
        for (int j = j0; j < j1; j++) {
            long wb = w.index(j, 0);
            float b = biasAt(bias, j);
            int i = 0;
            for (; i + 4 <= m; i += 4) dot4(xs, x.index(i, 0), x.stride(), ws, kind, wb, k, os, out.index(i, j), out.stride(), b);
            for (; i < m; i++) Lanes.f32Set(os, out.index(i, j), dot1(xs, x.index(i, 0), ws, kind, wb, k) + b);
        }
    }

    /** IN_OUT (W is [k, n]): out[i, c] = bias[c] + Σ_kk x[i, kk] · W[kk, c] for all rows i, c in [c0, c1). */
    public static void inOut(Mat x, Mat w, Mat bias, Mat out, int c0, int c1) {
        int m = x.rows(), k = x.cols(), kind = Lanes.kind(w.dtype()), stride = w.stride();
        int cv = c0 + (c1 - c0) / (4 * L) * (4 * L);
        MemorySegment xs = x.seg(), ws = w.seg(), os = out.seg();
        for (int kb = 0; kb < k; kb += ROW_CHUNK) {
            int kc = Math.min(ROW_CHUNK, k - kb);
            for (int c = c0; c < cv; c += 4 * L) {
                for (int i = 0; i < m; i++) columns4(xs, x.index(i, kb), kc, ws, kind, w.index(kb, c), stride, os, out.index(i, c), kb == 0 ? bias : null, c, kb == 0);
            }
        }
        for (int c = cv; c < c1; c++) {
            for (int i = 0; i < m; i++) {
                long xi = x.index(i, 0), wc = w.index(0, c);
                float acc = biasAt(bias, c);
                for (int kk = 0; kk < k; kk++) acc += Lanes.f32At(xs, xi + kk) * Lanes.scalar(kind, ws, wc + (long) kk * stride);
                Lanes.f32Set(os, out.index(i, c), acc);
            }
        }
    }

    /**
     * out[o .. o + 4L) = (first ? bias : out) + Σ_{kk < kc} x[x0 + kk] · W[w0 + kk·stride .. + 4L),
     * accumulated in registers.
     */
    private static void columns4(MemorySegment xs, long x0, int kc, MemorySegment ws, int kind, long w0, int stride,
                                 MemorySegment os, long o, Mat bias, int c, boolean first) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        long wr = w0;
        for (int kk = 0; kk < kc; kk++, wr += stride) {
            FloatVector xv = FloatVector.broadcast(F, Lanes.f32At(xs, x0 + kk));
            a0 = Lanes.load(kind, ws, wr).fma(xv, a0);
            a1 = Lanes.load(kind, ws, wr + L).fma(xv, a1);
            a2 = Lanes.load(kind, ws, wr + 2 * L).fma(xv, a2);
            a3 = Lanes.load(kind, ws, wr + 3 * L).fma(xv, a3);
        }
        if (!first) {
            a0 = a0.add(Lanes.f32(os, o));
            a1 = a1.add(Lanes.f32(os, o + L));
            a2 = a2.add(Lanes.f32(os, o + 2 * L));
            a3 = a3.add(Lanes.f32(os, o + 3 * L));
        } else if (bias != null) {
            int bk = Lanes.kind(bias.dtype());
            long bi = bias.index(0, c);
            a0 = a0.add(Lanes.load(bk, bias.seg(), bi));
            a1 = a1.add(Lanes.load(bk, bias.seg(), bi + L));
            a2 = a2.add(Lanes.load(bk, bias.seg(), bi + 2 * L));
            a3 = a3.add(Lanes.load(bk, bias.seg(), bi + 3 * L));
        }
        Lanes.store(a0, os, o);
        Lanes.store(a1, os, o + L);
        Lanes.store(a2, os, o + 2 * L);
        Lanes.store(a3, os, o + 3 * L);
    }

    static float biasAt(Mat bias, int j) {
        return bias == null ? 0f : Lanes.scalar(Lanes.kind(bias.dtype()), bias.seg(), bias.index(0, j));
    }

    /** x row (F32 at element x0) · weight row (kind at element wb) over k, four accumulators. */
    private static float dot1(MemorySegment xs, long x0, MemorySegment ws, int kind, long wb, int k) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int kk = 0;
        for (; kk + 4 * L <= k; kk += 4 * L) {
            a0 = Lanes.f32(xs, x0 + kk).fma(Lanes.load(kind, ws, wb + kk), a0);
            a1 = Lanes.f32(xs, x0 + kk + L).fma(Lanes.load(kind, ws, wb + kk + L), a1);
            a2 = Lanes.f32(xs, x0 + kk + 2 * L).fma(Lanes.load(kind, ws, wb + kk + 2 * L), a2);
            a3 = Lanes.f32(xs, x0 + kk + 3 * L).fma(Lanes.load(kind, ws, wb + kk + 3 * L), a3);
        }
        for (; kk + L <= k; kk += L) a0 = Lanes.f32(xs, x0 + kk).fma(Lanes.load(kind, ws, wb + kk), a0);
        float s = Lanes.sum(a0.add(a1).add(a2.add(a3)));
        for (; kk < k; kk++) s += Lanes.f32At(xs, x0 + kk) * Lanes.scalar(kind, ws, wb + kk);
        return s;
    }

    /** Four x rows (stride xStride) against one weight row; results + b go to out[o0 + r·oStride]. */
    private static void dot4(MemorySegment xs, long x0, int xStride, MemorySegment ws, int kind, long wb, int k,
                             MemorySegment os, long o0, int oStride, float b) {
        long x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int kk = 0;
        for (; kk + L <= k; kk += L) {
            FloatVector wv = Lanes.load(kind, ws, wb + kk);
            a0 = Lanes.f32(xs, x0 + kk).fma(wv, a0);
            a1 = Lanes.f32(xs, x1 + kk).fma(wv, a1);
            a2 = Lanes.f32(xs, x2 + kk).fma(wv, a2);
            a3 = Lanes.f32(xs, x3 + kk).fma(wv, a3);
        }
        float s0 = Lanes.sum(a0), s1 = Lanes.sum(a1);
        float s2 = Lanes.sum(a2), s3 = Lanes.sum(a3);
        for (; kk < k; kk++) {
            float wk = Lanes.scalar(kind, ws, wb + kk);
            s0 += Lanes.f32At(xs, x0 + kk) * wk;
            s1 += Lanes.f32At(xs, x1 + kk) * wk;
            s2 += Lanes.f32At(xs, x2 + kk) * wk;
            s3 += Lanes.f32At(xs, x3 + kk) * wk;
        }
        Lanes.f32Set(os, o0, s0 + b);
        Lanes.f32Set(os, o0 + oStride, s1 + b);
        Lanes.f32Set(os, o0 + 2 * (long) oStride, s2 + b);
        Lanes.f32Set(os, o0 + 3 * (long) oStride, s3 + b);
    }
}
