// The Sample op on the CPU and its reference for every backend (ops/Sample.java describes the
// algorithm): greedy argmax, a top-k cut and a top-p cut by radix select over order-preserving
// keys of the logits (8 bits per pass, counts for top-k, 2^-40 fixed-point masses for top-p),
// a min-p cut, then a Gumbel-max draw with noise hashed from (seed, step, token). The device
// kernels (sample.cl, sample.cu) are line-for-line the same passes; floats are computed in float
// as they are there. The fast CPU backend finds the top-p cut of top-k rows by rejection instead
// (sampleByRejection: the same draws, fewer passes over the row), as CUDA's sample.cu may.
package dev.strata.engine.cpu.kernels;

import dev.strata.engine.cpu.CpuParallel;
import dev.strata.engine.cpu.Mat;
import dev.strata.engine.ops.Sample;
import java.util.Arrays;
import java.util.function.LongUnaryOperator;

public final class SampleCpu {
    private SampleCpu() {}

    private static final int RADIX = 256;
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    /** Above any Gumbel noise the hash can give: u <= 1 - 2^-24 makes -log(-log u) <= 16.64. */
    private static final float GUMBEL_MAX = 17f;

    /** Top-p draws tested before sampleByRejection falls back to the radix select. */
    static final int ROUNDS = 4;

    /**
     * out[r, 0] = the token drawn from logits row r under params row r: by sample() (reference),
     * else by sampleByRejection() where a top-k cut bounds its draws, which draws the same tokens.
     * On the CPU the draw's logarithms dominate: without top-k the rejection path's first draw
     * spans the whole row and was slower than the radix select (4.6-4.9 ms against 4.0 ms a row of
     * 128,256 at T 0.8, top-p 0.95); with top-k 40 it was as fast or faster (3.2-4.4 ms against
     * 4.0-5.2; bench/RESULTS.md).
     */
    public static void run(Mat logits, Mat params, Mat out, boolean reference, CpuParallel par) {
        par.forRange(logits.rows(), 1, (from, to) -> {
            float[] row = new float[logits.cols()];
            int[] p = new int[Sample.PARAMS];
            for (int r = from; r < to; r++) {
                logits.readRow(r, row);
                for (int c = 0; c < Sample.PARAMS; c++) p[c] = params.getInt(r, c);
                out.setInt(r, 0, reference || p[Sample.TOP_K] <= 1 ? sample(row, p) : sampleByRejection(row, p));
            }
        });
    }

    /** The token drawn from one row of logits under one packed params row (Sample's layout). */
    public static int sample(float[] l, int[] p) { return sample(l, p, false); }

    /**
     * The same draw with the top-p cut found by rejection, as a device kernel may (no radix passes
     * over masses): draw among the tokens the other cuts keep, computing Z on the way, then test the
     * drawn token j. Top-p keeps j iff the mass of the keys above j's is below need = topP · Z: the
     * radix select's cut is the largest key K with mass(keys >= K) >= need, so j's key is >= K
     * exactly then. A token the cut drops lies below every kept one, so after a rejection the next
     * draw is among the keys above j's; the kept set stays inside the tokens drawn from, and an
     * accepted draw is their argmax, hence the kept set's (the largest logit, always kept, is
     * always among them). A draw is accepted with probability >= topP; after ROUNDS rejections the
     * radix select finds the cut.
     */
    public static int sampleByRejection(float[] l, int[] p) { return sample(l, p, true); }

    private static int sample(float[] l, int[] p, boolean rejection) {
        int n = l.length;
        int best = ElementwiseCpu.argmax(l);
        float m = l[best];
        float t = Float.intBitsToFloat(p[Sample.TEMPERATURE]);
        int topK = p[Sample.TOP_K], topP = p[Sample.TOP_P];
        float minP = Float.intBitsToFloat(p[Sample.MIN_P]);
        if (!(t > 0) || topK == 1 || !Float.isFinite(m)) return best;
        boolean weights = topP < Sample.TOP_P_ONE || minP > 0;
        int[] keys = new int[n];
        float[] d = new float[n], w = weights ? new float[n] : null;
        for (int i = 0; i < n; i++) {
            keys[i] = key(l[i]);
            d[i] = (l[i] - m) / t;
            if (weights) w[i] = (float) Math.exp(d[i]);
        }
        int thrK = topK > 1 && topK < n ? radixSelect(keys, null, total -> topK) : 0;
        long base = rowSeed(Sample.seed(p, 0), p[Sample.STEP]);
        if (topP >= Sample.TOP_P_ONE) return draw(keys, d, w, minP, thrK, best, base);
        if (rejection) {
            long need = Math.max(1, scale(massAtOrAbove(keys, w, thrK == 0 ? 1 : thrK), topP));
            int lo = thrK;
            for (int round = 0; round < ROUNDS; round++) {
                int j = draw(keys, d, w, minP, lo, best, base);
                if (massAtOrAbove(keys, w, keys[j] + 1) < need) return j;  // no key is 0xFFFFFFFF
                lo = keys[j] + 1;
            }
        }
        int thrP = radixSelect(keys, masses(keys, w, thrK), total -> Math.max(1, scale(total, topP)));
        return draw(keys, d, w, minP, Integer.compareUnsigned(thrK, thrP) >= 0 ? thrK : thrP, best, base);
    }

    /**
     * The Gumbel-max draw among the tokens with key >= thr that min-p keeps, and the largest logit
     * (best), which every cut keeps. It starts from best; a token with d + GUMBEL_MAX below the best
     * score so far cannot win (nor tie), so its noise is never computed; the draw is unchanged.
     */
    private static int draw(int[] keys, float[] d, float[] w, float minP, int thr, int best, long base) {
        int pick = best;
        float bs = gumbel(base, best);
        for (int i = 0; i < keys.length; i++) {
            if (i == best || d[i] + GUMBEL_MAX < bs) continue;
            if (Integer.compareUnsigned(keys[i], thr) < 0 || (minP > 0 && !(w[i] >= minP))) continue;
            float s = d[i] + gumbel(base, i);
            if (s > bs || (s == bs && i < pick)) {
                pick = i;
                bs = s;
            }
        }
        return pick;
    }

    /** The 2^-40 fixed-point mass of the keys >= lo (lo >= 1: NaN, key 0, has none). */
    private static long massAtOrAbove(int[] keys, float[] w, int lo) {
        long sum = 0;
        for (int i = 0; i < keys.length; i++) if (Integer.compareUnsigned(keys[i], lo) >= 0) sum += fixed(w[i]);
        return sum;
    }

    /** Order-preserving unsigned key of a float: larger value, larger key; NaN is 0 (below -inf). */
    public static int key(float v) {
        if (Float.isNaN(v)) return 0;
        int b = Float.floatToRawIntBits(v);
        return b < 0 ? ~b : b | 0x80000000;
    }

    /**
     * Radix select, 8 bits per pass from the top: each pass sums per digit the weights (1 per key
     * when weights is null: counts) of the keys sharing the prefix chosen so far, and takes the
     * digit holding the need-th unit from the top; needOf(total) sets need from the first pass's
     * total. Returns the key the prefix ends at: the k-th largest for counts and need k.
     */
    static int radixSelect(int[] keys, long[] weights, LongUnaryOperator needOf) {
        int prefix = 0;
        long need = 0;
        long[] hist = new long[RADIX];
        for (int shift = 24; shift >= 0; shift -= 8) {
            int high = highMask(shift);
            Arrays.fill(hist, 0);
            for (int i = 0; i < keys.length; i++) {
                if ((keys[i] & high) == prefix) hist[(keys[i] >>> shift) & 0xFF] += weights == null ? 1 : weights[i];
            }
            if (shift == 24) need = needOf.applyAsLong(Arrays.stream(hist).sum());
            int b = RADIX - 1;
            for (; b > 0 && hist[b] < need; b--) need -= hist[b];
            prefix |= b << shift;
        }
        return prefix;
    }

    /** Top-p's weights: w as 2^-40 fixed point for keys at or above floor, none for the others and for NaN (key 0). */
    static long[] masses(int[] keys, float[] w, int floor) {
        long[] m = new long[keys.length];
        for (int i = 0; i < keys.length; i++) if (keys[i] != 0 && Integer.compareUnsigned(keys[i], floor) >= 0) m[i] = fixed(w[i]);
        return m;
    }

    /** Bits already decided above a pass at `shift`: none for the first. */
    static int highMask(int shift) { return shift == 24 ? 0 : -1 << (shift + 8); }

    /** w in [0, 1] as 2^-40 fixed point, truncated (as the devices' float-to-integer conversion). */
    static long fixed(float w) { return (long) (w * 0x1p40f); }

    /** floor(z · q / 2^24) without overflow for z < 2^58, q <= 2^24. */
    static long scale(long z, int q) { return (z >>> 24) * q + (((z & 0xFFFFFF) * q) >>> 24); }

    /** The per-(seed, step) base of the noise; token i's 64 random bits are mix(base + (i + 1) · golden). */
    static long rowSeed(long seed, int step) { return mix(seed ^ mix((step & 0xFFFFFFFFL) + GOLDEN)); }

    /** Gumbel noise -log(-log u) for token i, u = (top 24 bits, made odd) / 2^24 in (0, 1), exact in float. */
    static float gumbel(long base, int i) {
        long h = mix(base + (i + 1L) * GOLDEN);
        float u = ((h >>> 40) | 1) * 0x1p-24f;
        return -(float) Math.log(-(float) Math.log(u));
    }

    /** The Gumbel noise the Sample op adds to token `token`'s scaled logit at draw `step` of `seed` (for tests and tools). */
    public static double gumbelNoise(long seed, int step, int token) { return gumbel(rowSeed(seed, step), token); }

    /** splitmix64's finaliser (Stafford's mix 13). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
