// Strata OpenCL kernel: the Sample op, out[r] = the token drawn from logits row r under params
// row r (engine ops/Sample.java has the algorithm and the params layout; SampleCpu is the
// reference these passes follow step for step):
//   pass 1: argmax (first index on ties, NaN never wins, a NaN at 0 gives 0) and its value m;
//           greedy rows (temperature <= 0, top-k 1, m not finite) stop here;
//   top-k:  4 radix passes over order-preserving keys (8 bits each) counting the keys that share
//           the prefix chosen so far → the key of the k-th largest logit. Where k <= the
//           work-group size, only keys at or above a floor are counted: the k-th largest of the
//           work-items' own maxima from pass 1 (k of them are distinct tokens at or above it, so
//           the k-th largest logit is too), found first by the same passes over those maxima
//           and raised above -inf's key (-inf keys carry no mass and are never drawn).
//           Few keys reach the floor: one pass copies them (logit and token) into local memory,
//           and where they fit (SAMPLE_CAP) every later pass reads those instead of the row;
//   top-p:  4 radix passes summing w = exp((l - m) / T) as 2^-40 fixed point in 64-bit integers
//           (atom_add on local ulong: sums independent of the order of addition) over keys at or
//           above the top-k cut → the largest key whose mass above reaches topP · Z;
//   draw:   argmax over kept tokens (key >= both cuts, w >= min-p) of (l - m) / T - log(-log u),
//           u hashed from (seed, step, token) by splitmix64's finaliser.
// Needs cl_khr_int64_base_atomics (OpenClDevice builds this file only where the device has it).
// Launch: local 256, global rows*256 (any power-of-two local size up to 256).
#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable

#define SAMPLE_WG 256
#define SAMPLE_RADIX 256
#define SAMPLE_TOP_P_ONE (1 << 24)
#define SAMPLE_GOLDEN 0x9E3779B97F4A7C15UL
#define SAMPLE_CAP 1024  // candidates kept in local memory past the top-k floor

// Element i of the row the passes after the floor read: the compacted candidates, or the row.
#define SAMPLE_ROW(i) (compact ? candL[i] : xr[i])

// Order-preserving unsigned key: larger float, larger key; NaN is 0 (below -inf).
static uint sample_key(float v) {
    const uint b = as_uint(v);
    return isnan(v) ? 0u : (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

static ulong sample_mix(ulong z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
    return z ^ (z >> 31);
}

// Gumbel noise for token i: u = (top 24 bits of the hash, made odd) / 2^24, exact in float.
static float sample_gumbel(ulong base, int i) {
    const ulong h = sample_mix(base + (ulong) (i + 1) * SAMPLE_GOLDEN);
    const float u = (float) ((uint) (h >> 40) | 1u) * 0x1p-24f;
    return -log(-log(u));
}

// (v, i) beats (bv, bi): larger value, then smaller index; NaN never wins.
static bool sample_better(float v, int i, float bv, int bi) { return v > bv || (v == bv && i < bi); }

// Work-group argmax of (v, i) pairs; every work-item gets the winner's index (INT_MAX if none).
static int sample_argmax(__local float* redV, __local int* redI, float v, int i, int lid, int ls) {
    redV[lid] = v;
    redI[lid] = i;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = ls >> 1; s > 0; s >>= 1) {
        if (lid < s && sample_better(redV[lid + s], redI[lid + s], redV[lid], redI[lid])) {
            redV[lid] = redV[lid + s];
            redI[lid] = redI[lid + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const int best = redI[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return best;
}

// Keys the passes before a digit at `shift` have fixed: none for the first.
static uint sample_high(int shift) { return shift == 24 ? 0u : 0xFFFFFFFFu << (shift + 8); }

__kernel void sample(__global const float* x, int xOff, int xStride, __global const int* params, int pOff, int pStride,
                     __global int* out, int oOff, int cols) {
    __local float redV[SAMPLE_WG];
    __local int redI[SAMPLE_WG];
    __local uint count[SAMPLE_RADIX];
    __local ulong mass[SAMPLE_RADIX];
    __local float itemMax[SAMPLE_WG];  // pass 1's per-work-item maxima (-inf for one with none)
    __local uint pickU[2];
    __local ulong pickL;
    __local float candL[SAMPLE_CAP];   // the keys at or above the top-k floor: logits
    __local int candC[SAMPLE_CAP];     // and their tokens, in no particular order
    __local int nCand;
    const int r = get_group_id(0);
    const int lid = get_local_id(0), ls = get_local_size(0);
    __global const float* xr = x + xOff + (long) r * xStride;
    __global const int* p = params + pOff + (long) r * pStride;

    float bv = -INFINITY;
    int bi = INT_MAX;
    for (int c = lid; c < cols; c += ls) {
        const float v = xr[c];
        if (sample_better(v, c, bv, bi)) { bv = v; bi = c; }
    }
    itemMax[lid] = bv;
    int best = sample_argmax(redV, redI, bv, bi, lid, ls);
    if (cols <= 0 || best == INT_MAX || isnan(xr[0])) best = 0;
    const float m = xr[best];
    const float t = as_float(p[0]), minP = as_float(p[3]);
    const int topK = p[1], topP = p[2];
    if (!(t > 0.0f) || topK == 1 || !isfinite(m)) {
        if (lid == 0) out[oOff + r] = best;
        return;
    }

    // top-k: select 0 finds the floor over itemMax (only where k <= ls), select 1 the k-th
    // largest key of the row among the keys at or above the floor. With a floor, one pass first
    // copies the row's keys at or above it (every token any later pass counts or draws) into
    // candL / candC; where they fit (compact), the later passes read those instead of the row.
    uint thrK = 0u, floorK = 0u;
    bool compact = false;
    int rowN = cols;
    if (topK > 1 && topK < cols) {
        for (int select = topK <= ls ? 0 : 1; select < 2; select++) {
            if (select == 1 && topK <= ls) {
                if (lid == 0) nCand = 0;
                barrier(CLK_LOCAL_MEM_FENCE);
                for (int c = lid; c < cols; c += ls) {
                    const float l = xr[c];
                    if (sample_key(l) >= floorK) {
                        const int i = atomic_inc(&nCand);
                        if (i < SAMPLE_CAP) {
                            candL[i] = l;
                            candC[i] = c;
                        }
                    }
                }
                barrier(CLK_LOCAL_MEM_FENCE);
                compact = nCand <= SAMPLE_CAP;
                rowN = compact ? nCand : cols;
            }
            const int n = select == 0 ? ls : rowN;
            uint prefix = 0u, need = (uint) topK;
            for (int shift = 24; shift >= 0; shift -= 8) {
                const uint high = sample_high(shift);
                for (int b = lid; b < SAMPLE_RADIX; b += ls) count[b] = 0u;
                barrier(CLK_LOCAL_MEM_FENCE);
                for (int c = lid; c < n; c += ls) {
                    const uint k = sample_key(select == 0 ? itemMax[c] : SAMPLE_ROW(c));
                    if ((k & high) == prefix && k >= floorK) atomic_inc(&count[(k >> shift) & 0xFFu]);
                }
                barrier(CLK_LOCAL_MEM_FENCE);
                if (lid == 0) {
                    int b = SAMPLE_RADIX - 1;
                    for (; b > 0 && count[b] < need; b--) need -= count[b];
                    pickU[0] = (uint) b;
                    pickU[1] = need;
                }
                barrier(CLK_LOCAL_MEM_FENCE);
                prefix |= pickU[0] << shift;
                need = pickU[1];
            }
            // The floor never at -inf or below: -inf keys carry no mass and are never drawn (the
            // row's finite maximum is always kept), so a row masked to -inf but for a few tokens
            // still compacts; with fewer than k keys above -inf, select 1 then ends at key 0
            // instead of -inf's, keeping and drawing the same tokens.
            if (select == 0) floorK = max(prefix, sample_key(-INFINITY) + 1u);
            else thrK = prefix;
        }
    }

    uint thrP = 0u;
    if (topP < SAMPLE_TOP_P_ONE) {
        uint prefix = 0u;
        ulong need = 0;
        for (int shift = 24; shift >= 0; shift -= 8) {
            const uint high = sample_high(shift);
            for (int b = lid; b < SAMPLE_RADIX; b += ls) mass[b] = 0;
            barrier(CLK_LOCAL_MEM_FENCE);
            for (int c = lid; c < rowN; c += ls) {
                const float l = SAMPLE_ROW(c);
                const uint k = sample_key(l);
                if ((k & high) == prefix && k >= thrK && k != 0u) { // key 0: NaN, no mass
                    const ulong wf = convert_ulong_rtz(exp((l - m) / t) * 0x1p40f);
                    if (wf != 0) atom_add(&mass[(k >> shift) & 0xFFu], wf);
                }
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            if (lid == 0) {
                if (shift == 24) {
                    ulong z = 0;
                    for (int b = 0; b < SAMPLE_RADIX; b++) z += mass[b];
                    need = (z >> 24) * (ulong) topP + (((z & 0xFFFFFFUL) * (ulong) topP) >> 24);
                    if (need == 0) need = 1;
                }
                int b = SAMPLE_RADIX - 1;
                for (; b > 0 && mass[b] < need; b--) need -= mass[b];
                pickU[0] = (uint) b;
                pickL = need;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            prefix |= pickU[0] << shift;
            need = pickL;
        }
        thrP = prefix;
    }

    const uint thr = max(thrK, thrP);
    const ulong base = sample_mix(((ulong) (uint) p[4] | ((ulong) (uint) p[5] << 32)) ^ sample_mix((ulong) (uint) p[6] + SAMPLE_GOLDEN));
    bv = -INFINITY;
    bi = INT_MAX;
    for (int i = lid; i < rowN; i += ls) {
        const int c = compact ? candC[i] : i;
        const float l = SAMPLE_ROW(i);
        if (sample_key(l) < thr) continue;
        const float d = (l - m) / t;
        if (minP > 0.0f && !(exp(d) >= minP)) continue;
        const float s = d + sample_gumbel(base, c);
        if (sample_better(s, c, bv, bi)) { bv = s; bi = c; }
    }
    const int pick = sample_argmax(redV, redI, bv, bi, lid, ls);
    if (lid == 0) out[oOff + r] = pick == INT_MAX ? best : pick;
}
