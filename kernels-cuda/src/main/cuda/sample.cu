// sample_f32: the Sample op, out[r] = the token drawn from logits row r (F32 [rows, cols]) under
// params row r (I32 [rows, 7]; engine ops/Sample.java has the algorithm and the layout, and
// SampleCpu is the reference these passes follow step for step):
//   pass 1: argmax (first index on ties, NaN never wins, a NaN at 0 gives 0) and its value m;
//           greedy rows (temperature <= 0, top-k 1, m not finite) stop here;
//   top-k:  4 radix passes over order-preserving keys (8 bits each), counting the keys that share
//           the prefix chosen so far (one shared atomic per distinct bin per warp) → the key of the
//           k-th largest logit;
//   top-p:  4 radix passes summing w = exp((l - m) / T) as 2^-40 fixed point in 64-bit integer
//           shared atomics (sums independent of the order of addition) over keys at or above the
//           top-k cut → the largest key whose mass above reaches topP · Z;
//   draw:   argmax over kept tokens (key >= both cuts, w >= min-p) of (l - m) / T - log(-log u),
//           u hashed from (seed, step, token) by splitmix64's finaliser.
// The row (vocab · 4 bytes) is re-read from L2 by each pass; a batch-1 draw is one block.
// Launch: grid = rows, block 1024 (any multiple of 32 up to 1024).
#include "strata_cuda.cuh"

namespace {

constexpr int RADIX = 256;
constexpr int TOP_P_ONE = 1 << 24;
constexpr unsigned long long GOLDEN = 0x9E3779B97F4A7C15ull;

// Order-preserving unsigned key: larger float, larger key; NaN is 0 (below -inf).
__device__ __forceinline__ unsigned sample_key(float v) {
    const unsigned b = __float_as_uint(v);
    return v != v ? 0u : (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

__device__ __forceinline__ unsigned long long mix64(unsigned long long z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Gumbel noise for token i: u = (top 24 bits of the hash, made odd) / 2^24, exact in float.
__device__ __forceinline__ float gumbel(unsigned long long base, int i) {
    const unsigned long long h = mix64(base + (unsigned long long)(i + 1) * GOLDEN);
    const float u = (float)((unsigned)(h >> 40) | 1u) * 0x1p-24f;
    return -logf(-logf(u));
}

// The radix digit holding the `need`-th unit (count or mass) from the top of hist, and need reduced
// by the units of the digits above it.
__device__ __forceinline__ unsigned pick_digit(const unsigned long long* hist, unsigned long long& need) {
    int b = RADIX - 1;
    for (; b > 0 && hist[b] < need; b--) need -= hist[b];
    return (unsigned)b;
}

// hist[bin] += v (v <= 2^40) for every lane, aggregated per warp: logits crowd a few bins of the
// top digits, and per-lane shared atomics on one address serialise. The lanes sharing a bin sum
// their v by two 32-bit warp reductions (low 24 bits and the rest: no overflow over 32 lanes) and
// one of them adds it. All 32 lanes call; a lane with bin NO_BIN adds nothing.
constexpr unsigned NO_BIN = 0xFFFFFFFFu;
__device__ __forceinline__ void add_aggregated(unsigned long long* hist, unsigned bin, unsigned long long v) {
    const unsigned peers = __match_any_sync(strata::FULL_MASK, bin);
    const unsigned lo = __reduce_add_sync(peers, (unsigned)(v & 0xFFFFFFull));
    const unsigned hi = __reduce_add_sync(peers, (unsigned)(v >> 24));
    if (bin != NO_BIN && (int)(threadIdx.x & 31) == __ffs(peers) - 1) atomicAdd(&hist[bin], ((unsigned long long)hi << 24) + lo);
}

// Keys the passes before a digit at `shift` have fixed: none for the first.
__device__ __forceinline__ unsigned high_mask(int shift) { return shift == 24 ? 0u : 0xFFFFFFFFu << (shift + 8); }

// Radix select over the row's keys, 8 bits per pass from the top: each pass sums weight(l, key)
// (a count of 1 or a fixed-point mass; 0 leaves the key out) per digit over the keys sharing the
// prefix chosen so far, and takes the digit holding the need-th unit from the top; need_of(total)
// sets need from the first pass's total. Returns the key the prefix ends at. Block-wide: every
// thread calls; hist, pickBin and pickNeed are shared.
template <typename Weight, typename NeedOf>
__device__ __forceinline__ unsigned radix_select(const float* __restrict__ xr, int cols, unsigned long long* hist, unsigned* pickBin,
                                                 unsigned long long* pickNeed, Weight weight, NeedOf need_of) {
    unsigned prefix = 0u;
    unsigned long long need = 0ull;
    for (int shift = 24; shift >= 0; shift -= 8) {
        const unsigned high = high_mask(shift);
        for (int b = threadIdx.x; b < RADIX; b += blockDim.x) hist[b] = 0ull;
        __syncthreads();
        for (int c0 = 0; c0 < cols; c0 += blockDim.x) {  // whole warps per trip
            const int c = c0 + threadIdx.x;
            unsigned bin = NO_BIN;
            unsigned long long v = 0ull;
            if (c < cols) {
                const float l = xr[c];
                const unsigned k = sample_key(l);
                if ((k & high) == prefix) v = weight(l, k);
                if (v != 0ull) bin = (k >> shift) & 0xFFu;
            }
            add_aggregated(hist, bin, v);
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            if (shift == 24) {
                unsigned long long total = 0ull;
                for (int b = 0; b < RADIX; b++) total += hist[b];
                need = need_of(total);
            }
            *pickBin = pick_digit(hist, need);
            *pickNeed = need;
        }
        __syncthreads();
        prefix |= *pickBin << shift;
        need = *pickNeed;
    }
    return prefix;
}

}  // namespace

extern "C" __global__ void sample_f32(const float* __restrict__ x, int xStride, const int* __restrict__ params, int pStride, int* out,
                                      int cols) {
    strata::pdl_entry();
    if ((blockDim.x & 31) != 0) __trap();  // the histogram loops run whole warps
    __shared__ float sv[32];
    __shared__ int si[32];
    __shared__ unsigned long long hist[RADIX];
    __shared__ unsigned pickBin;
    __shared__ unsigned long long pickNeed;
    const float* xr = x + (size_t)blockIdx.x * xStride;
    const int* p = params + (size_t)blockIdx.x * pStride;

    float bv = -INFINITY;
    int bi = strata::NO_INDEX;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        const float v = xr[c];
        if (strata::argmax_better(v, c, bv, bi)) { bv = v; bi = c; }
    }
    int best = strata::block_argmax(bv, bi, sv, si);
    if (cols <= 0 || best == strata::NO_INDEX || xr[0] != xr[0]) best = 0;
    const float m = cols > 0 ? xr[best] : 0.f;
    const float t = __int_as_float(p[0]), minP = __int_as_float(p[3]);
    const int topK = p[1], topP = p[2];
    if (!(t > 0.f) || topK == 1 || !isfinite(m)) {
        if (threadIdx.x == 0) out[blockIdx.x] = best;
        return;
    }

    // top-k: the k-th largest key (a count of 1 per key); top-p: the largest key whose 2^-40
    // fixed-point mass at and above it reaches topP · Z over the keys top-k kept (NaN, key 0: none).
    const unsigned thrK = topK > 1 && topK < cols
        ? radix_select(xr, cols, hist, &pickBin, &pickNeed, [](float, unsigned) { return 1ull; },
                       [=](unsigned long long) { return (unsigned long long)topK; })
        : 0u;
    const unsigned thrP = topP < TOP_P_ONE
        ? radix_select(xr, cols, hist, &pickBin, &pickNeed,
                       [=](float l, unsigned k) {
                           return k >= thrK && k != 0u ? (unsigned long long)(expf((l - m) / t) * 0x1p40f) : 0ull;
                       },
                       [=](unsigned long long z) {
                           const unsigned long long need = (z >> 24) * (unsigned long long)topP + (((z & 0xFFFFFFull) * (unsigned long long)topP) >> 24);
                           return need == 0ull ? 1ull : need;
                       })
        : 0u;
    const unsigned thr = max(thrK, thrP);
    const unsigned long long seed = (unsigned long long)(unsigned)p[4] | ((unsigned long long)(unsigned)p[5] << 32);
    const unsigned long long base = mix64(seed ^ mix64((unsigned long long)(unsigned)p[6] + GOLDEN));
    bv = -INFINITY;
    bi = strata::NO_INDEX;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        const float l = xr[c];
        if (sample_key(l) < thr) continue;
        const float d = (l - m) / t;
        if (minP > 0.f && !(expf(d) >= minP)) continue;
        const float s = d + gumbel(base, c);
        if (strata::argmax_better(s, c, bv, bi)) { bv = s; bi = c; }
    }
    const int pick = strata::block_argmax(bv, bi, sv, si);
    if (threadIdx.x == 0) out[blockIdx.x] = pick == strata::NO_INDEX ? best : pick;
}
