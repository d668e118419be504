// Prefill-shaped matmul (many rows of x), BLIS-style without a k split. W is packed once per
// call into one panel per NR columns (NR = 2 vectors; converted to F32 and, for OUT_IN,
// transposed; k × NR floats, L2-resident), in parallel over column strips — in column chunks of
// at most 32 MiB, so an LM head is never copied whole. Each task takes a block
// of rows of x sized so its packed copy (4-row tiles, zero-padded) stays in L2, and runs the
// 4 × NR register micro-kernel over the whole reduction against every panel of its strips —
// 8 vector accumulators, per k step two panel loads and four broadcasts for eight FMAs, no
// horizontal reductions — so every output is written once, bias included. (6 × NR, BLIS's AVX2
// shape, measured 2× slower here: C2 spills its 12 accumulators; 4 × NR ran at ~90 GFLOP/s on
// one core.) Each output is summed by one task in a fixed order: results do not depend on the
// thread count.
package dev.strata.engine.cpu.simd;

import static dev.strata.engine.cpu.simd.Lanes.F;
import static dev.strata.engine.cpu.simd.Lanes.L;

import dev.strata.engine.cpu.CpuParallel;
import dev.strata.engine.cpu.Mat;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

public final class Gemm {
    private Gemm() {}

    /** Output columns per strip (one packed panel): two vectors. */
    public static final int NR = 2 * L;
    /** Rows per micro-kernel tile. */
    private static final int MR = 4;
    /** Floats of packed x per task block (256 KiB, within L2), and the block's row bounds. */
    private static final int BLOCK_FLOATS = 64 * 1024, MIN_BLOCK_ROWS = 16, MAX_BLOCK_ROWS = 128;

    /** Packed W per pass at most (32 MiB): wider matrices (an LM head) go in column chunks. */
    private static final long PACK_FLOATS = 8L << 20;

    /**
     * Per-thread packing buffers [packed W, packed x block], reused across calls: allocating
     * them per call zeroed megabytes per matmul (tens per encoder batch). Packing rewrites every
     * element it hands the micro-kernel, padding included.
     */
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[2][0]);

    private static float[] buffer(int which, int floats) {
        float[][] b = BUFFERS.get();
        if (b[which].length < floats) b[which] = new float[floats];
        return b[which];
    }

    /**
     * Work on finished outputs, rows [i0, i0 + rows) × columns [j0, j1), run by the task that
     * computed them right after it did (the block is still in its core's cache): a fused
     * matmul's activation and residual add.
     */
    @FunctionalInterface
    public interface Epilogue { void apply(int i0, int rows, int j0, int j1); }

    /** out[m, n] = x[m, k] · W + bias. outIn: W is [n, k] (else [k, n]); any float dtype. */
    public static void matmul(Mat x, Mat w, boolean outIn, Mat bias, Mat out, CpuParallel par) {
        matmul(x, w, outIn, bias, out, par, null);
    }

    /** The same, then epilogue (may be null) on every block of outputs once it is final. */
    public static void matmul(Mat x, Mat w, boolean outIn, Mat bias, Mat out, CpuParallel par, Epilogue epilogue) {
        int m = x.rows(), k = x.cols(), n = out.cols();
        int strips = (n + NR - 1) / NR;
        int chunk = (int) Math.max(1, Math.min(strips, PACK_FLOATS / ((long) NR * k)));
        float[] packed = buffer(0, Math.multiplyExact(chunk * NR, k));
        float[] biasRow = new float[strips * NR];
        for (int j = 0; j < n; j++) biasRow[j] = Gemv.biasAt(bias, j);
        int kind = Lanes.kind(w.dtype());
        int mc = Math.clamp(BLOCK_FLOATS / k / MR * MR, MIN_BLOCK_ROWS, MAX_BLOCK_ROWS);
        int blocks = (m + mc - 1) / mc;
        for (int c0 = 0; c0 < strips; c0 += chunk) {
            int first = c0, count = Math.min(chunk, strips - c0);
            par.forRange(count, 1, (from, to) -> {
                for (int s = from; s < to; s++) packW(w, kind, outIn, first + s, n, k, s, packed);
            });
            int stripGroups = Math.min(count, Math.max(1, (2 * par.threads() + blocks - 1) / blocks));
            int stripsPer = (count + stripGroups - 1) / stripGroups;
            par.forRange(blocks * stripGroups, 1, (from, to) -> {
                float[] a = buffer(1, (mc + MR - 1) / MR * MR * k), tileRows = new float[MR * k];
                for (int t = from; t < to; t++) {
                    int blk = t / stripGroups, sg = t % stripGroups;
                    int i0 = blk * mc, rows = Math.min(mc, m - i0);
                    int s0 = sg * stripsPer, s1 = Math.min(count, s0 + stripsPer);
                    packX(x, i0, rows, k, a, tileRows);
                    for (int s = s0; s < s1; s++) {
                        int j0 = (first + s) * NR, nc = Math.min(NR, n - j0);
                        for (int r = 0; r < rows; r += MR) {
                            micro(a, r * k, packed, s * k * NR, k, out.seg(), out.index(i0 + r, j0), out.stride(), Math.min(MR, rows - r), nc, biasRow, j0);
                        }
                    }
                    if (epilogue != null && s0 < s1) epilogue.apply(i0, rows, (first + s0) * NR, Math.min(n, (first + s1) * NR));
                }
            });
        }
    }

    /** Panel `slot` of the pass: packed[slot·k·NR + kk·NR + c] = W(column s·NR + c, reduction kk) as F32, 0 past n. */
    private static void packW(Mat w, int kind, boolean outIn, int s, int n, int k, int slot, float[] packed) {
        int j0 = s * NR, nc = Math.min(NR, n - j0), base = slot * k * NR;
        MemorySegment ws = w.seg();
        if (nc < NR) for (int kk = 0; kk < k; kk++) Arrays.fill(packed, base + kk * NR + nc, base + (kk + 1) * NR, 0f);
        if (outIn) {
            for (int c = 0; c < nc; c++) {
                long wb = w.index(j0 + c, 0);
                for (int kk = 0, p = base + c; kk < k; kk++, p += NR) packed[p] = Lanes.scalar(kind, ws, wb + kk);
            }
        } else if (nc == NR) {
            for (int kk = 0; kk < k; kk++) {
                long wr = w.index(kk, j0);
                Lanes.load(kind, ws, wr).intoArray(packed, base + kk * NR);
                Lanes.load(kind, ws, wr + L).intoArray(packed, base + kk * NR + L);
            }
        } else {
            for (int kk = 0; kk < k; kk++) {
                long wr = w.index(kk, j0);
                for (int c = 0; c < nc; c++) packed[base + kk * NR + c] = Lanes.scalar(kind, ws, wr + c);
            }
        }
    }

    /** a[tile·MR·k + kk·MR + r] = x(i0 + tile·MR + r, kk); rows past `rows` of the last tile are 0. */
    private static void packX(Mat x, int i0, int rows, int k, float[] a, float[] tileRows) {
        int tiles = (rows + MR - 1) / MR;
        for (int t = 0; t < tiles; t++) {
            int base = t * MR * k, r0 = t * MR;
            for (int r = 0; r < MR; r++) {
                if (r0 + r < rows) x.readRow(i0 + r0 + r, tileRows, r * k);
                else Arrays.fill(tileRows, r * k, (r + 1) * k, 0f);
            }
            for (int kk = 0, p = base; kk < k; kk++, p += MR) {
                a[p] = tileRows[kk];
                a[p + 1] = tileRows[k + kk];
                a[p + 2] = tileRows[2 * k + kk];
                a[p + 3] = tileRows[3 * k + kk];
            }
        }
    }

    /** One MR × NR tile over the whole reduction: out = acc + bias; `rows`, `nc` clip the store. */
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
        FloatVector b0 = FloatVector.fromArray(F, bias, j0), b1 = FloatVector.fromArray(F, bias, j0 + L);
        put(c00, c01, os, o0, nc, b0, b1);
        if (rows > 1) put(c10, c11, os, o0 + oStride, nc, b0, b1);
        if (rows > 2) put(c20, c21, os, o0 + 2L * oStride, nc, b0, b1);
        if (rows > 3) put(c30, c31, os, o0 + 3L * oStride, nc, b0, b1);
    }

    /** Writes (lo|hi) + bias to out[o..o+nc). */
    private static void put(FloatVector lo, FloatVector hi, MemorySegment os, long o, int nc, FloatVector b0, FloatVector b1) {
        if (nc == NR) {
            Lanes.store(lo.add(b0), os, o);
            Lanes.store(hi.add(b1), os, o + L);
            return;
        }
        VectorMask<Float> m0 = F.indexInRange(0, nc), m1 = F.indexInRange(L, nc);
        lo.add(b0).intoMemorySegment(os, o * Float.BYTES, Lanes.LE, m0);
        if (nc > L) hi.add(b1).intoMemorySegment(os, (o + L) * Float.BYTES, Lanes.LE, m1);
    }
}
