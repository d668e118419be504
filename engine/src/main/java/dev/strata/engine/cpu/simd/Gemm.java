// Prefill-shaped matmul (many rows of x), BLIS-style: a KC × NR panel of W (NR = 2 vectors of
// output columns) is packed to F32 in L1 — converting F16/BF16 and transposing OUT_IN once per
// panel — then reused by every 4-row micro-kernel: 4 × 2 vector accumulators, per k step two
// panel loads and four x broadcasts for eight FMAs, no horizontal reductions.
package dev.strata.engine.cpu.simd;

import static dev.strata.engine.cpu.simd.Lanes.F;
import static dev.strata.engine.cpu.simd.Lanes.L;

import dev.strata.engine.cpu.Mat;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

public final class Gemm {
    private Gemm() {}

    /** Output columns per strip (one packed panel): two vectors. */
    public static final int NR = 2 * L;
    /** Rows per micro-kernel call. */
    private static final int MR = 4;
    /** Reduction depth per panel: KC × NR floats = 16 KiB with AVX2, an L1-resident panel. */
    private static final int KC = 256;

    /** Scratch a worker reuses across tiles: the packed panel and the strip's bias. */
    public static float[] scratch() { return new float[KC * NR + NR]; }

    /**
     * out[i0..i1, j0..j0+NR) = x[i0..i1, :] · W[:, j0..j0+NR) + bias, columns past out.cols()
     * left untouched. outIn: W is [n, k] (else [k, n]).
     */
    public static void tile(Mat x, Mat w, boolean outIn, Mat bias, Mat out, int j0, int i0, int i1, float[] scratch) {
        int k = x.cols(), nc = Math.min(NR, out.cols() - j0), kind = Lanes.kind(w.dtype());
        int bOff = KC * NR;
        for (int c = 0; c < NR; c++) scratch[bOff + c] = c < nc ? Gemv.biasAt(bias, j0 + c) : 0f;
        FloatVector bias0 = FloatVector.fromArray(F, scratch, bOff), bias1 = FloatVector.fromArray(F, scratch, bOff + L);
        MemorySegment xs = x.seg(), os = out.seg();
        for (int kb = 0; kb < k; kb += KC) {
            int kc = Math.min(KC, k - kb);
            pack(w, kind, outIn, j0, nc, kb, kc, scratch);
            boolean first = kb == 0;
            FloatVector b0 = first ? bias0 : null, b1 = first ? bias1 : null;
            int i = i0;
            for (; i + MR <= i1; i += MR) micro4(xs, x.index(i, kb), x.stride(), kc, scratch, os, out.index(i, j0), out.stride(), nc, b0, b1);
            for (; i < i1; i++) micro1(xs, x.index(i, kb), kc, scratch, os, out.index(i, j0), nc, b0, b1);
        }
    }

    /** panel[kk·NR + c] = W(column j0 + c, reduction kb + kk) as F32, zero for c ≥ nc. */
    private static void pack(Mat w, int kind, boolean outIn, int j0, int nc, int kb, int kc, float[] panel) {
        MemorySegment ws = w.seg();
        if (outIn) {
            for (int c = 0; c < nc; c++) {
                long wb = w.index(j0 + c, kb);
                for (int kk = 0, p = c; kk < kc; kk++, p += NR) panel[p] = Lanes.scalar(kind, ws, wb + kk);
            }
        } else {
            for (int kk = 0; kk < kc; kk++) {
                long wr = w.index(kb + kk, j0);
                int p = kk * NR;
                if (nc == NR) {
                    Lanes.load(kind, ws, wr).intoArray(panel, p);
                    Lanes.load(kind, ws, wr + L).intoArray(panel, p + L);
                } else {
                    for (int c = 0; c < nc; c++) panel[p + c] = Lanes.scalar(kind, ws, wr + c);
                }
            }
        }
        if (nc < NR) {
            for (int kk = 0; kk < kc; kk++) Arrays.fill(panel, kk * NR + nc, kk * NR + NR, 0f);
        }
    }

    private static void micro4(MemorySegment xs, long x0, int xStride, int kc, float[] panel,
                               MemorySegment os, long o0, int oStride, int nc, FloatVector b0, FloatVector b1) {
        long x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int kk = 0, p = 0; kk < kc; kk++, p += NR) {
            FloatVector w0 = FloatVector.fromArray(F, panel, p), w1 = FloatVector.fromArray(F, panel, p + L);
            FloatVector a = FloatVector.broadcast(F, Lanes.f32At(xs, x0 + kk));
            c00 = a.fma(w0, c00);
            c01 = a.fma(w1, c01);
            a = FloatVector.broadcast(F, Lanes.f32At(xs, x1 + kk));
            c10 = a.fma(w0, c10);
            c11 = a.fma(w1, c11);
            a = FloatVector.broadcast(F, Lanes.f32At(xs, x2 + kk));
            c20 = a.fma(w0, c20);
            c21 = a.fma(w1, c21);
            a = FloatVector.broadcast(F, Lanes.f32At(xs, x3 + kk));
            c30 = a.fma(w0, c30);
            c31 = a.fma(w1, c31);
        }
        put(c00, c01, os, o0, nc, b0, b1);
        put(c10, c11, os, o0 + oStride, nc, b0, b1);
        put(c20, c21, os, o0 + 2 * (long) oStride, nc, b0, b1);
        put(c30, c31, os, o0 + 3 * (long) oStride, nc, b0, b1);
    }

    private static void micro1(MemorySegment xs, long x0, int kc, float[] panel,
                               MemorySegment os, long o0, int nc, FloatVector b0, FloatVector b1) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0;
        for (int kk = 0, p = 0; kk < kc; kk++, p += NR) {
            FloatVector a = FloatVector.broadcast(F, Lanes.f32At(xs, x0 + kk));
            c0 = a.fma(FloatVector.fromArray(F, panel, p), c0);
            c1 = a.fma(FloatVector.fromArray(F, panel, p + L), c1);
        }
        put(c0, c1, os, o0, nc, b0, b1);
    }

    /** Writes lo|hi to out[o..o+nc): acc + bias on the first panel (b0 non-null), else out += acc. */
    private static void put(FloatVector lo, FloatVector hi, MemorySegment os, long o, int nc, FloatVector b0, FloatVector b1) {
        if (nc == NR) {
            Lanes.store(b0 != null ? lo.add(b0) : lo.add(Lanes.f32(os, o)), os, o);
            Lanes.store(b1 != null ? hi.add(b1) : hi.add(Lanes.f32(os, o + L)), os, o + L);
            return;
        }
        VectorMask<Float> m0 = F.indexInRange(0, nc), m1 = F.indexInRange(L, nc);
        long byte0 = o * Float.BYTES, byte1 = (o + L) * Float.BYTES;
        FloatVector add0 = b0 != null ? b0 : FloatVector.fromMemorySegment(F, os, byte0, Lanes.LE, m0);
        lo.add(add0).intoMemorySegment(os, byte0, Lanes.LE, m0);
        if (nc > L) {
            FloatVector add1 = b1 != null ? b1 : FloatVector.fromMemorySegment(F, os, byte1, Lanes.LE, m1);
            hi.add(add1).intoMemorySegment(os, byte1, Lanes.LE, m1);
        }
    }
}
