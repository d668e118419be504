// Fast CPU attention with the Vector API, float math and an online softmax, so no score matrix is
// materialised. Keys are taken in blocks of KEY_BLOCK: q·k for four keys at a time (q vectors
// loaded once per four keys), the block max rescales the running sum once, exp is vectorised, then
// p·v accumulates over headDim. Parallel over (sequence, head) and, when those are fewer than
// about four tasks per thread (long prefill of one sequence), over query-row ranges as well.
// Ops with at least TRANSPOSE_MIN_ROWS query rows per sequence (prefill, encoders) first copy
// each task's keys transposed ([headDim][keys]) and its values as rows into arrays, so scores
// come L keys at a time from broadcast-q FMAs with no horizontal sums and p·v reads plain arrays;
// the choice depends on the op only, never on the thread count, so results do not either.
// Sequences whose last query sees at most AttentionCpuBlock.MAX_KEYS keys (encoders, short
// prefill) take AttentionCpuBlock instead: dense Q·Kᵀ, whole-row softmax, P·V as small GEMMs.
package dev.strata.engine.cpu.kernels;

import static dev.strata.engine.cpu.simd.Lanes.F;
import static dev.strata.engine.cpu.simd.Lanes.L;

import dev.strata.engine.cpu.CpuKvStorage;
import dev.strata.engine.cpu.CpuParallel;
import dev.strata.engine.cpu.Mat;
import dev.strata.engine.cpu.simd.Lanes;
import dev.strata.engine.ops.AttentionSpec;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

final class AttentionCpuFast {
    private AttentionCpuFast() {}

    /** Keys per softmax block: scores stay in L1 and the running max is rescaled once per block. */
    private static final int KEY_BLOCK = 64;
    /** Parallel tasks wanted per thread before query rows are split too. */
    private static final int TASKS_PER_THREAD = 4;

    /** Query rows per sequence from which keys are transposed once per task. */
    static final int TRANSPOSE_MIN_ROWS = 8;

    /** Per-worker buffers: scaled query, one key row, output accumulator, block scores, transposed keys. */
    private static final class Scratch {
        final float[] q, keyRow, acc, scores = new float[KEY_BLOCK];
        float[] keysT = new float[0], values = new float[0];
        int keyCols;

        Scratch(int headDim) {
            q = new float[headDim];
            keyRow = new float[headDim];
            acc = new float[headDim];
        }

        /** keysT[d·keyCols + j] = K[j][kvHead·hd + d] and values[j·hd + d] = V[j][kvHead·hd + d] for j < n. */
        void transpose(AttentionCpu.KeyValues kvb, int kvh, int hd, int n) {
            keyCols = (n + L - 1) / L * L;
            if (keysT.length < hd * keyCols) keysT = new float[hd * keyCols];
            if (values.length < hd * n) values = new float[hd * n];
            MemorySegment ks = kvb.k(), vs = kvb.v();
            for (int j = 0; j < n; j++) {
                AttentionCpuBlock.copy(ks, kvb.key(j, kvh, hd), 1f, keyRow, 0, hd);
                for (int d = 0; d < hd; d++) keysT[d * keyCols + j] = keyRow[d];
                AttentionCpuBlock.copy(vs, kvb.value(j, kvh, hd), 1f, values, j * hd, hd);
            }
        }
    }

    static void attend(Mat q, Mat k, Mat v, Mat past, Mat slots, Mat mask, Mat bias, AttentionSpec s, CpuKvStorage kv, Mat out, CpuParallel par) {
        AttentionCpu.KeyValues[] kvs = new AttentionCpu.KeyValues[s.batch()];
        for (int b = 0; b < s.batch(); b++) kvs[b] = AttentionCpu.keyValues(k, v, past, slots, s, kv, b);
        int seqHeads = s.batch() * s.heads(), wanted = TASKS_PER_THREAD * par.threads();
        int splits = seqHeads >= wanted ? 1 : Math.min(s.seqLen(), (wanted + seqHeads - 1) / seqHeads);
        int rowsPer = (s.seqLen() + splits - 1) / splits;
        par.forRange(seqHeads * splits, 1, (from, to) -> {
            Scratch scratch = new Scratch(s.headDim());
            AttentionCpuBlock.Scratch block = new AttentionCpuBlock.Scratch();
            for (int t = from; t < to; t++) {
                int task = t / splits, part = t % splits, b = task / s.heads(), h = task % s.heads();
                int i0 = part * rowsPer, i1 = Math.min(s.seqLen(), (part + 1) * rowsPer);
                boolean transposed = s.seqLen() >= TRANSPOSE_MIN_ROWS;
                if (transposed && AttentionCpu.visible(s, kvs[b], s.seqLen() - 1) <= AttentionCpuBlock.MAX_KEYS) {
                    if (i1 > i0) {
                        block.load(kvs[b], h / s.groupSize(), s.headDim(), AttentionCpu.visible(s, kvs[b], i1 - 1));
                        AttentionCpuBlock.rows(q, b, h, i0, i1, kvs[b], mask, bias, s, out, block);
                    }
                    continue;
                }
                if (transposed && i1 > i0) scratch.transpose(kvs[b], h / s.groupSize(), s.headDim(), AttentionCpu.visible(s, kvs[b], i1 - 1));
                for (int i = i0; i < i1; i++) query(q, b, h, i, kvs[b], mask, bias, s, out, scratch, transposed);
            }
        });
    }

    /** out row (b, i), head h = softmax(q·Kᵀ·scale + mask + bias) · V over the keys query i sees. */
    private static void query(Mat q, int b, int h, int i, AttentionCpu.KeyValues kvb, Mat mask, Mat bias, AttentionSpec s, Mat out, Scratch w,
                              boolean transposed) {
        int hd = s.headDim(), kvh = h / s.groupSize(), r = b * s.seqLen() + i, n = AttentionCpu.visible(s, kvb, i);
        float[] qv = w.q, acc = w.acc, sc = w.scores;
        for (int d = 0; d < hd; d++) qv[d] = q.get(r, h * hd + d) * s.scale();
        Arrays.fill(acc, 0f);
        float max = Float.NEGATIVE_INFINITY, sum = 0;
        for (int j0 = 0; j0 < n; j0 += KEY_BLOCK) {
            int jn = Math.min(KEY_BLOCK, n - j0);
            if (transposed) scoresTransposed(qv, w.keysT, w.keyCols, hd, j0, jn, sc);
            else scores(qv, kvb, kvh, hd, j0, jn, sc);
            float blockMax = Float.NEGATIVE_INFINITY;
            for (int jj = 0; jj < jn; jj++) {
                if (mask != null && j0 + jj < mask.cols()) sc[jj] += mask.get(b, j0 + jj);
                if (bias != null) sc[jj] += AttentionCpu.bias(bias, s, b, h, i, j0 + jj);
                blockMax = Math.max(blockMax, sc[jj]);
            }
            if (blockMax == Float.NEGATIVE_INFINITY) continue;
            if (blockMax > max) {
                float corr = (float) Math.exp(max - blockMax);
                sum *= corr;
                scale(acc, corr, hd);
                max = blockMax;
            }
            exp(sc, jn, max);
            for (int jj = 0; jj < jn; jj++) if (sc[jj] != 0f) sum += sc[jj];
            if (transposed) {
                weightedValues(acc, sc, jn, w.values, j0 * hd, hd);
            } else {
                for (int jj = 0; jj < jn; jj++) if (sc[jj] != 0f) axpy(acc, sc[jj], kvb.v(), kvb.value(j0 + jj, kvh, hd), hd);
            }
        }
        store(acc, sum == 0 ? 0f : 1f / sum, out.seg(), out.index(r, h * hd), hd);
    }

    /** sc[jj] = qv · K[j0 + jj] for jj < jn from keysT: L keys per vector, summed over d in order. */
    private static void scoresTransposed(float[] qv, float[] keysT, int keyCols, int hd, int j0, int jn, float[] sc) {
        for (int jj = 0; jj < jn; jj += L) {
            FloatVector a = FloatVector.zero(F);
            for (int d = 0; d < hd; d++) a = FloatVector.fromArray(F, keysT, d * keyCols + j0 + jj).fma(FloatVector.broadcast(F, qv[d]), a);
            if (jj + L <= jn) a.intoArray(sc, jj);
            else a.intoArray(sc, jj, F.indexInRange(0, jn - jj));
        }
    }

    /** sc[jj] = qv · K[j0 + jj] for jj < jn, four keys per pass over qv. */
    private static void scores(float[] qv, AttentionCpu.KeyValues kvb, int kvh, int hd, int j0, int jn, float[] sc) {
        MemorySegment ks = kvb.k();
        int jj = 0, dv = hd / L * L;
        for (; jj + 4 <= jn; jj += 4) {
            long k0 = kvb.key(j0 + jj, kvh, hd), k1 = kvb.key(j0 + jj + 1, kvh, hd);
            long k2 = kvb.key(j0 + jj + 2, kvh, hd), k3 = kvb.key(j0 + jj + 3, kvh, hd);
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0; d < dv; d += L) {
                FloatVector qd = FloatVector.fromArray(F, qv, d);
                a0 = Lanes.f32(ks, k0 + d).fma(qd, a0);
                a1 = Lanes.f32(ks, k1 + d).fma(qd, a1);
                a2 = Lanes.f32(ks, k2 + d).fma(qd, a2);
                a3 = Lanes.f32(ks, k3 + d).fma(qd, a3);
            }
            float s0 = Lanes.sum(a0), s1 = Lanes.sum(a1);
            float s2 = Lanes.sum(a2), s3 = Lanes.sum(a3);
            for (int d = dv; d < hd; d++) {
                s0 += qv[d] * Lanes.f32At(ks, k0 + d);
                s1 += qv[d] * Lanes.f32At(ks, k1 + d);
                s2 += qv[d] * Lanes.f32At(ks, k2 + d);
                s3 += qv[d] * Lanes.f32At(ks, k3 + d);
            }
            sc[jj] = s0;
            sc[jj + 1] = s1;
            sc[jj + 2] = s2;
            sc[jj + 3] = s3;
        }
        for (; jj < jn; jj++) {
            long k0 = kvb.key(j0 + jj, kvh, hd);
            FloatVector a0 = FloatVector.zero(F);
            for (int d = 0; d < dv; d += L) a0 = Lanes.f32(ks, k0 + d).fma(FloatVector.fromArray(F, qv, d), a0);
            float s0 = Lanes.sum(a0);
            for (int d = dv; d < hd; d++) s0 += qv[d] * Lanes.f32At(ks, k0 + d);
            sc[jj] = s0;
        }
    }

    /**
     * sc[jj] = exp(sc[jj] - max); masked (-inf) scores become 0. Scalar Math.exp on purpose: the
     * Vector API's EXP differs between its interpreted and intrinsified forms, which made results
     * change in their last bits once the JIT compiled this kernel.
     */
    private static void exp(float[] sc, int jn, float max) {
        for (int jj = 0; jj < jn; jj++) sc[jj] = (float) Math.exp(sc[jj] - max);
    }

    private static void scale(float[] acc, float c, int hd) {
        int d = 0;
        for (; d + L <= hd; d += L) FloatVector.fromArray(F, acc, d).mul(c).intoArray(acc, d);
        for (; d < hd; d++) acc[d] *= c;
    }

    /**
     * acc += Σ_jj p[jj] · values[v0 + jj·hd ..] over the block's keys with p ≠ 0, keys in order: per
     * L-wide slice of acc, held in a register across all keys. Each lane sees the same FMAs in the
     * same order as one axpy per key, so the result is the same, with a load and store per slice
     * per block instead of per key.
     */
    private static void weightedValues(float[] acc, float[] p, int jn, float[] values, int v0, int hd) {
        int d = 0;
        for (; d + L <= hd; d += L) {
            FloatVector a = FloatVector.fromArray(F, acc, d);
            for (int jj = 0; jj < jn; jj++) {
                if (p[jj] != 0f) a = FloatVector.fromArray(F, values, v0 + jj * hd + d).fma(FloatVector.broadcast(F, p[jj]), a);
            }
            a.intoArray(acc, d);
        }
        for (; d < hd; d++) {
            float a = acc[d];
            for (int jj = 0; jj < jn; jj++) if (p[jj] != 0f) a += p[jj] * values[v0 + jj * hd + d];
            acc[d] = a;
        }
    }

    /** acc += p · V[vp .. vp + hd). */
    private static void axpy(float[] acc, float p, MemorySegment vs, long vp, int hd) {
        FloatVector pv = FloatVector.broadcast(F, p);
        int d = 0;
        for (; d + L <= hd; d += L) Lanes.f32(vs, vp + d).fma(pv, FloatVector.fromArray(F, acc, d)).intoArray(acc, d);
        for (; d < hd; d++) acc[d] += p * Lanes.f32At(vs, vp + d);
    }

    /** out[o .. o + hd) = acc · inv. */
    private static void store(float[] acc, float inv, MemorySegment os, long o, int hd) {
        int d = 0;
        for (; d + L <= hd; d += L) Lanes.store(FloatVector.fromArray(F, acc, d).mul(inv), os, o + d);
        for (; d < hd; d++) Lanes.f32Set(os, o + d, acc[d] * inv);
    }
}
