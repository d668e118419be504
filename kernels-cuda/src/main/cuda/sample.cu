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
template <typename T>
__device__ __forceinline__ unsigned pick_digit(const T* hist, T& need) {
    int b = RADIX - 1;
    for (; b > 0 && hist[b] < need; b--) need -= hist[b];
    return (unsigned)b;
}

// Histogram updates aggregated per warp: logits crowd a few bins of the top digits, and per-lane
// shared atomics on one address serialise. All 32 lanes call; a lane with bin NO_BIN adds nothing.
constexpr unsigned NO_BIN = 0xFFFFFFFFu;

// count[bin] += the number of lanes with that bin: one atomic per distinct bin in the warp.
__device__ __forceinline__ void count_aggregated(unsigned* count, unsigned bin) {
    const unsigned peers = __match_any_sync(strata::FULL_MASK, bin);
    if (bin != NO_BIN && (int)(threadIdx.x & 31) == __ffs(peers) - 1) atomicAdd(&count[bin], (unsigned)__popc(peers));
}

// mass[bin] += the lanes' wf (each <= 2^40): summed over the lanes sharing the bin by two 32-bit
// warp reductions (low 24 bits, the rest; no overflow over 32 lanes), one 64-bit atomic per bin.
__device__ __forceinline__ void mass_aggregated(unsigned long long* mass, unsigned bin, unsigned long long wf) {
    const unsigned peers = __match_any_sync(strata::FULL_MASK, bin);
    const unsigned lo = __reduce_add_sync(peers, (unsigned)(wf & 0xFFFFFFull));
    const unsigned hi = __reduce_add_sync(peers, (unsigned)(wf >> 24));
    if (bin != NO_BIN && (int)(threadIdx.x & 31) == __ffs(peers) - 1) atomicAdd(&mass[bin], ((unsigned long long)hi << 24) + lo);
}

// Keys the passes before a digit at `shift` have fixed: none for the first.
__device__ __forceinline__ unsigned high_mask(int shift) { return shift == 24 ? 0u : 0xFFFFFFFFu << (shift + 8); }

}  // namespace

extern "C" __global__ void sample_f32(const float* __restrict__ x, int xStride, const int* __restrict__ params, int pStride, int* out,
                                      int cols) {
    strata::pdl_entry();
    if ((blockDim.x & 31) != 0) __trap();  // the histogram loops run whole warps
    __shared__ float sv[32];
    __shared__ int si[32];
    __shared__ unsigned count[RADIX];
    __shared__ unsigned long long mass[RADIX];
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

    unsigned thrK = 0u;
    if (topK > 1 && topK < cols) {
        unsigned prefix = 0u, need = (unsigned)topK;
        for (int shift = 24; shift >= 0; shift -= 8) {
            const unsigned high = high_mask(shift);
            for (int b = threadIdx.x; b < RADIX; b += blockDim.x) count[b] = 0u;
            __syncthreads();
            for (int c0 = 0; c0 < cols; c0 += blockDim.x) {  // whole warps per trip
                const int c = c0 + threadIdx.x;
                unsigned bin = NO_BIN;
                if (c < cols) {
                    const unsigned k = sample_key(xr[c]);
                    if ((k & high) == prefix) bin = (k >> shift) & 0xFFu;
                }
                count_aggregated(count, bin);
            }
            __syncthreads();
            if (threadIdx.x == 0) {
                pickBin = pick_digit(count, need);
                pickNeed = need;
            }
            __syncthreads();
            prefix |= pickBin << shift;
            need = (unsigned)pickNeed;
        }
        thrK = prefix;
    }

    unsigned thrP = 0u;
    if (topP < TOP_P_ONE) {
        unsigned prefix = 0u;
        unsigned long long need = 0;
        for (int shift = 24; shift >= 0; shift -= 8) {
            const unsigned high = high_mask(shift);
            for (int b = threadIdx.x; b < RADIX; b += blockDim.x) mass[b] = 0ull;
            __syncthreads();
            for (int c0 = 0; c0 < cols; c0 += blockDim.x) {  // whole warps per trip
                const int c = c0 + threadIdx.x;
                unsigned bin = NO_BIN;
                unsigned long long wf = 0ull;
                if (c < cols) {
                    const float l = xr[c];
                    const unsigned k = sample_key(l);
                    if ((k & high) == prefix && k >= thrK && k != 0u) {  // key 0: NaN, no mass
                        wf = (unsigned long long)(expf((l - m) / t) * 0x1p40f);
                        if (wf != 0ull) bin = (k >> shift) & 0xFFu;
                    }
                }
                mass_aggregated(mass, bin, bin == NO_BIN ? 0ull : wf);
            }
            __syncthreads();
            if (threadIdx.x == 0) {
                if (shift == 24) {
                    unsigned long long z = 0;
                    for (int b = 0; b < RADIX; b++) z += mass[b];
                    need = (z >> 24) * (unsigned long long)topP + (((z & 0xFFFFFFull) * (unsigned long long)topP) >> 24);
                    if (need == 0ull) need = 1ull;
                }
                pickBin = pick_digit(mass, need);
                pickNeed = need;
            }
            __syncthreads();
            prefix |= pickBin << shift;
            need = pickNeed;
        }
        thrP = prefix;
    }

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
