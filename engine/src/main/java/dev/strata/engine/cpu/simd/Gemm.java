// Prefill-shaped matmul (many rows of x), BLIS-style. W is packed once per call into KC × NR
// panels (NR = 2 vectors of output columns, converted to F32 and, for OUT_IN, transposed), in
// parallel over column strips. Then each task takes a block of MC rows of x: per KC slice it
// packs those rows into 4-row tiles (zero-padded, L2-resident) and runs the 4 × NR register
// micro-kernel against every panel — 8 vector accumulators, per k step two panel loads and four
// broadcasts for eight FMAs, no horizontal reductions. (6 × NR, BLIS's AVX2 shape, measured
// 2× slower here: C2 spills its 12 accumulators; 4 × NR ran at ~90 GFLOP/s on one core.) Each
// output element is summed by one task in a fixed order, so results do not depend on the
// thread count.
package dev.strata.engine.cpu.simd;

import static dev.strata.engine.cpu.simd.Lanes.F;
import static dev.strata.engine.cpu.simd.Lanes.L;

import dev.strata.engine.cpu.CpuParallel;
import dev.strata.engine.cpu.Mat;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

public final class Gemm {
    private Gemm() {}

    /** Output columns per strip (one packed panel): two vectors. */
    public static final int NR = 2 * L;
    /** Rows per micro-kernel tile. */
    private static final int MR = 4;
    /** Rows per task block: 32 tiles; the packed block (MC × KC floats, 128 KiB) stays in L2. */
    private static final int MC = 32 * MR;
    /** Reduction depth per panel: KC × NR floats = 16 KiB with AVX2, an L1-resident panel. */
    private static final int KC = 256;

    /** out[m, n] = x[m, k] · W + bias. outIn: W is [n, k] (else [k, n]); any float dtype. */
    public static void matmul(Mat x, Mat w, boolean outIn, Mat bias, Mat out, CpuParallel par) {
        int m = x.rows(), k = x.cols(), n = out.cols();
        int strips = (n + NR - 1) / NR, kBlocks = (k + KC - 1) / KC;
        float[] packed = new float[strips * NR * k];
        float[] biasRow = new float[strips * NR];
        for (int j = 0; j < n; j++) biasRow[j] = Gemv.biasAt(bias, j);
        int kind = Lanes.kind(w.dtype());
        par.forRange(strips, 1, (from, to) -> {
            for (int s = from; s < to; s++) {
                for (int kb = 0; kb < kBlocks; kb++) packW(w, kind, outIn, s, n, kb, k, strips, packed);
            }
        });
        int blocks = (m + MC - 1) / MC;
        int stripGroups = Math.min(strips, Math.max(1, (2 * par.threads() + blocks - 1) / blocks));
        int stripsPer = (strips + stripGroups - 1) / stripGroups;
        par.forRange(blocks * stripGroups, 1, (from, to) -> {
            float[] a = new float[MC * KC];
            for (int t = from; t < to; t++) {
                int blk = t / stripGroups, sg = t % stripGroups;
                int i0 = blk * MC, rows = Math.min(MC, m - i0);
                int s0 = sg * stripsPer, s1 = Math.min(strips, s0 + stripsPer);
                for (int kb = 0; kb < kBlocks; kb++) {
                    int kc = Math.min(KC, k - kb * KC);
                    packX(x, i0, rows, kb * KC, kc, a);
                    for (int s = s0; s < s1; s++) {
                        int panel = kb * KC * strips * NR + s * kc * NR, j0 = s * NR, nc = Math.min(NR, n - j0);
                        for (int r = 0; r < rows; r += MR) {
                            micro(a, r * kc, packed, panel, kc, out.seg(), out.index(i0 + r, j0), out.stride(), Math.min(MR, rows - r), nc,
                                    kb == 0 ? biasRow : null, j0);
                        }
                    }
                }
            }
        });
    }

    /** Panel (strip s, slice kb): packed[base + kk·NR + c] = W(column s·NR + c, reduction kb·KC + kk) as F32, 0 past n. */
    private static void packW(Mat w, int kind, boolean outIn, int s, int n, int kb, int k, int strips, float[] packed) {
        int kc = Math.min(KC, k - kb * KC), k0 = kb * KC, j0 = s * NR, nc = Math.min(NR, n - j0);
        int base = kb * KC * strips * NR + s * kc * NR;
        MemorySegment ws = w.seg();
        if (outIn) {
            for (int c = 0; c < nc; c++) {
                long wb = w.index(j0 + c, k0);
                for (int kk = 0, p = base + c; kk < kc; kk++, p += NR) packed[p] = Lanes.scalar(kind, ws, wb + kk);
            }
        } else if (nc == NR) {
            for (int kk = 0; kk < kc; kk++) {
                long wr = w.index(k0 + kk, j0);
                Lanes.load(kind, ws, wr).intoArray(packed, base + kk * NR);
                Lanes.load(kind, ws, wr + L).intoArray(packed, base + kk * NR + L);
            }
        } else {
            for (int kk = 0; kk < kc; kk++) {
                long wr = w.index(k0 + kk, j0);
                for (int c = 0; c < nc; c++) packed[base + kk * NR + c] = Lanes.scalar(kind, ws, wr + c);
            }
        }
    }

    /** a[tile·MR·kc + kk·MR + r] = x(i0 + tile·MR + r, k0 + kk); rows past `rows` of the last tile are 0. */
    private static void packX(Mat x, int i0, int rows, int k0, int kc, float[] a) {
        MemorySegment xs = x.seg();
        int tiles = (rows + MR - 1) / MR;
        for (int t = 0; t < tiles; t++) {
            int base = t * MR * kc;
            for (int r = 0; r < MR; r++) {
                int row = t * MR + r;
                if (row >= rows) {
                    for (int kk = 0; kk < kc; kk++) a[base + kk * MR + r] = 0f;
                    continue;
                }
                long xi = x.index(i0 + row, k0);
                for (int kk = 0; kk < kc; kk++) a[base + kk * MR + r] = Lanes.f32At(xs, xi + kk);
            }
        }
    }

    /** One MR × NR tile over kc: out = acc + bias (bias != null: first slice) or out += acc; `rows`, `nc` clip the store. */
    private static void micro(float[] a, int ao, float[] w, int wo, int kc, MemorySegment os, long o0, int oStride,
                              int rows, int nc, float[] bias, int j0) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int kk = 0; kk < kc; kk++) {
            int p = wo + kk * NR, q = ao + kk * MR;
            FloatVector w0 = FloatVector.fromArray(F, w, p), w1 = FloatVector.fromArray(F, w, p + L);
            FloatVector b = FloatVector.broadcast(F, a[q]);
            c00 = b.fma(w0, c00);
            c01 = b.fma(w1, c01);
            b = FloatVector.broadcast(F, a[q + 1]);
            c10 = b.fma(w0, c10);
            c11 = b.fma(w1, c11);
            b = FloatVector.broadcast(F, a[q + 2]);
            c20 = b.fma(w0, c20);
            c21 = b.fma(w1, c21);
            b = FloatVector.broadcast(F, a[q + 3]);
            c30 = b.fma(w0, c30);
            c31 = b.fma(w1, c31);
        }
        FloatVector b0 = bias == null ? null : FloatVector.fromArray(F, bias, j0), b1 = bias == null ? null : FloatVector.fromArray(F, bias, j0 + L);
        put(c00, c01, os, o0, nc, b0, b1);
        if (rows > 1) put(c10, c11, os, o0 + oStride, nc, b0, b1);
        if (rows > 2) put(c20, c21, os, o0 + 2L * oStride, nc, b0, b1);
        if (rows > 3) put(c30, c31, os, o0 + 3L * oStride, nc, b0, b1);
    }

    /** Writes lo|hi to out[o..o+nc): acc + bias on the first slice (b0 non-null), else out += acc. */
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
