// sample_f32: the Sample op, out[r] = the token drawn from logits row r (F32 [rows, cols]) under
// params row r (I32 [rows, 7]; engine ops/Sample.java has the algorithm and the layout, and
// SampleCpu is the reference these passes follow step for step):
//   pass 1: argmax (first index on ties, NaN never wins, a NaN at 0 gives 0) and its value m;
//           greedy rows (temperature <= 0, top-k 1, m not finite) stop here;
//   top-k:  4 radix passes over order-preserving keys (8 bits each), counting the keys that share
//           the prefix chosen so far (one shared atomic per distinct bin per warp; warps with no
//           such key skip the histogram) → the key of the k-th largest logit. Where k <= the block
//           size, only keys at or above a floor are counted: the k-th largest of the threads' own
//           maxima from pass 1 (k of them are distinct tokens at or above it, so the k-th largest
//           logit is too), found by the same select over those maxima in shared memory, and
//           raised above -inf's key (-inf keys carry no mass and are never drawn). The count of
//           keys at or above the floor is usually near k, so the row passes rarely touch the
//           histogram;
//   top-p:  4 radix passes summing w = exp((l - m) / T) as 2^-40 fixed point in 64-bit integer
//           shared atomics (sums independent of the order of addition) over keys at or above the
//           top-k cut → the largest key whose mass above reaches topP · Z;
//   draw:   argmax over kept tokens (key >= both cuts, w >= min-p) of (l - m) / T - log(-log u),
//           u hashed from (seed, step, token) by splitmix64's finaliser.
// The row (vocab · 4 bytes) is re-read from L2 by each pass, ROW_LOADS reads in flight per thread; a
// batch-1 draw is one block. With compactAllowed and a top-k floor, one pass copies the keys at or
// above the floor into shared memory (up to CAND_CAP), and the top-k, top-p and draw passes read
// those instead of the row: two reads of the row instead of up to ten.
// With topPRejection, top-p is found by rejection instead (SampleCpu.sampleByRejection, which the
// fast CPU backend runs and SampleByRejectionTest checks against the radix select): draw among the
// tokens the other cuts keep (one pass, which also sums Z), then test the drawn token j: top-p keeps
// it iff the mass of the keys above j's is below topP · Z (one pass, no histogram). A rejected draw
// is followed by a draw among the keys above it; after ROUNDS rejections the radix select runs.
// A draw is accepted with probability >= topP, so a top-p row usually takes 3 passes, not 6.
// A greedy row (by its params: temperature <= 0 or top-k 1) may be split over gridDim.y blocks:
// block (r, s) finds pass 1's argmax over columns [s·chunk, (s+1)·chunk), chunk = ceil(cols /
// splits), and the row's last block merges the parts (split_argmax_merge in strata_cuda.cuh;
// partV / partI hold rows·splits entries, counters rows ints that are zero before the launch and
// after it). Other rows are drawn by block (r, 0) alone as above; with one split the three may be null.
// With splitTopK and splits > 1, a top-k row (1 < top-k <= blockDim, top-k < cols, and top-k ·
// splits <= CAND_CAP / 2: up to 64 for the 16 parts of a 128,256-token row) is read by all its
// blocks instead of block (r, 0) alone: block (r, s) takes pass 1 over its part, a floor from its
// threads' maxima as above (at or below the part's k-th largest key, so at or below the row's),
// and appends its part's keys at or above that floor, never -inf, to the row's candidates candV /
// candI [rows, CAND_CAP] (counted in counters[rows + r]); the row's last block (split_argmax_merge,
// which also gives it the row's argmax) copies them into shared memory and runs the cuts and the
// draw over them. Every finite key at or above the row's k-th largest is at or above every part's
// floor, so the candidates hold every token the cuts keep and the draw can pick: the same draw.
// Past CAND_CAP candidates the last block reads the row instead.
// With rowArgmax (each row's argmax, written by an argmax_f32 over the same logits launched just
// before) and splits > 1, a row drawn from every token (no top-k cut; min-p allowed) is drawn by
// all its blocks: each scores its part with the row's m and the parts' best scores merge as an
// argmax (split_argmax_merge), so the row is read once in parallel instead of twice by one block.
// A top-p row (with topPRejection and partZ) takes that draw as its first, and as Z the sum of the
// parts' masses (partZ's first rows · splits entries, each block's written by its thread 0 before
// the merge's fence); the last block stores Z and the token in partZ[rows · splits + 2 · row, + 1].
// A second launch with option bit 4 (the test launch, same arguments) must follow: for those rows
// every block sums the mass of its part's keys above the drawn token's, the parts merge, and the
// last block accepts the token (mass above < topP · Z) or, rejected, runs the single-block rounds
// from it (the rest of the rejection loop, then the radix select); it leaves every other row
// alone. So a top-p row is read by every block twice, instead of three times by one block.
// Greedy rows take rowArgmax as it is, and other rows without a top-k floor skip pass 1.
// Null rowArgmax: pass 1 finds the argmax as above.
// With warpPick, each radix pass's digit is picked by one warp (pick_digit_warp: 8 bins a lane and
// a scan over the lanes) instead of one thread walking up to 256 bins; the same digit and need.
// Launch: grid (rows, splits), block 1024 (any multiple of 32 up to 1024); options: bit 0
// compactAllowed, bit 1 topPRejection, bit 2 warpPick, bit 3 splitTopK (candV, candI and the
// counters' second half needed only with it and splits > 1), bit 4 the test launch. partZ
// ([rows · (splits + 2)] u64) may be null: top-p rows then run on one block.
#include "strata_cuda.cuh"

namespace {

constexpr int RADIX = 256;
constexpr int ROUNDS = 4;              // top-p draws tested before the radix select takes over
constexpr float GUMBEL_MAX = 17.f;     // above any noise the hash gives: u <= 1 - 2^-24 → 16.64
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
template <typename H>
__device__ __forceinline__ unsigned pick_digit(const H* hist, unsigned long long& need) {
    int b = RADIX - 1;
    for (; b > 0 && hist[b] < need; b--) need -= hist[b];
    return (unsigned)b;
}

// pick_digit's digit and reduced need, found by one whole warp instead of one thread's walk of up to
// 256 dependent shared-memory reads: lane L sums bins 255 - 8L down to 248 - 8L, an inclusive scan
// over the lanes (lane 0 holds the top bins) gives the units at and above each lane's lowest bin,
// the first lane whose scan reaches need walks its own 8 bins, and where none does, bin 0 is the
// answer as in pick_digit (need less the units of bins 1..255). Every lane returns the same.
template <typename H>
__device__ __forceinline__ unsigned pick_digit_warp(const H* hist, unsigned long long& need) {
    static_assert(RADIX == 256, "8 bins per lane");
    const int lane = threadIdx.x & 31;
    unsigned long long v[8], sum = 0ull;
#pragma unroll
    for (int i = 0; i < 8; i++) {
        v[i] = (unsigned long long)hist[RADIX - 1 - 8 * lane - i];
        sum += v[i];
    }
    unsigned long long incl = sum;
#pragma unroll
    for (int o = 1; o < 32; o <<= 1) {
        const unsigned long long t = __shfl_up_sync(strata::FULL_MASK, incl, o);
        if (lane >= o) incl += t;
    }
    const unsigned long long all = __shfl_sync(strata::FULL_MASK, incl, 31);
    const unsigned reached = __ballot_sync(strata::FULL_MASK, incl >= need);
    if (reached == 0u) {
        need -= all - (unsigned long long)hist[0];
        return 0u;
    }
    const int first = __ffs(reached) - 1;
    unsigned digit = 0u;
    unsigned long long rest = need - (incl - sum);  // need less the units of the bins above this lane's
    if (lane == first) {
#pragma unroll
        for (int i = 0; i < 8; i++) {
            const int b = RADIX - 1 - 8 * lane - i;
            if (b == 0 || v[i] >= rest) {
                digit = (unsigned)b;
                break;
            }
            rest -= v[i];
        }
    }
    digit = __shfl_sync(strata::FULL_MASK, digit, first);
    need = __shfl_sync(strata::FULL_MASK, rest, first);
    return digit;
}

// The sum of all RADIX bins by one whole warp (lane L sums bins L, L + 32, ...: consecutive lanes
// read consecutive bins, no bank conflicts), in every lane.
template <typename H>
__device__ __forceinline__ unsigned long long warp_hist_total(const H* hist) {
    const int lane = threadIdx.x & 31;
    unsigned long long s = 0ull;
#pragma unroll
    for (int i = 0; i < RADIX / 32; i++) s += (unsigned long long)hist[lane + 32 * i];
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(strata::FULL_MASK, s, o);
    return s;
}

// hist[bin] += v for every lane, aggregated per warp: logits crowd a few bins of the top digits,
// and per-lane shared atomics on one address serialise. The lanes sharing a bin sum their v by a
// warp reduction and one of them adds it. All 32 lanes call; a lane with bin NO_BIN adds nothing.
// Counts (v 0 or 1) go to a 32-bit histogram (native shared atomics); masses (v <= 2^40) to a
// 64-bit one, summed by two 32-bit reductions (low 24 bits and the rest: no overflow over 32 lanes).
constexpr unsigned NO_BIN = 0xFFFFFFFFu;
__device__ __forceinline__ void add_aggregated(unsigned* hist, unsigned bin, unsigned long long v) {
    const unsigned peers = __match_any_sync(strata::FULL_MASK, bin);
    const unsigned n = __reduce_add_sync(peers, (unsigned)v);
    if (bin != NO_BIN && (int)(threadIdx.x & 31) == __ffs(peers) - 1) atomicAdd(&hist[bin], n);
}
__device__ __forceinline__ void add_aggregated(unsigned long long* hist, unsigned bin, unsigned long long v) {
    const unsigned peers = __match_any_sync(strata::FULL_MASK, bin);
    const unsigned lo = __reduce_add_sync(peers, (unsigned)(v & 0xFFFFFFull));
    const unsigned hi = __reduce_add_sync(peers, (unsigned)(v >> 24));
    if (bin != NO_BIN && (int)(threadIdx.x & 31) == __ffs(peers) - 1) atomicAdd(&hist[bin], ((unsigned long long)hi << 24) + lo);
}

// Block sum of every thread's v; every thread gets it. scratch: 32 shared entries, reusable after.
__device__ __forceinline__ unsigned long long block_sum_u64(unsigned long long v, unsigned long long* scratch) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = (blockDim.x + 31) >> 5;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(strata::FULL_MASK, v, o);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    unsigned long long t = lane < nwarps ? scratch[lane] : 0ull;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) t += __shfl_xor_sync(strata::FULL_MASK, t, o);
    __syncthreads();
    return t;
}

// Calls f(l, token) for each compacted candidate this thread takes (shared memory) when compact,
// else for this thread's stripe of the row (global loads, ROW_LOADS in flight).
template <typename F>
__device__ __forceinline__ void for_kept(bool compact, const float* candL, const int* candC, int nCand, const float* __restrict__ xr,
                                         int cols, F f) {
    if (compact) {
        for (int i = threadIdx.x; i < nCand; i += blockDim.x) f(candL[i], candC[i]);
    } else {
        strata::for_row<false>(xr, cols, f);
    }
}

// Keys the passes before a digit at `shift` have fixed: none for the first.
__device__ __forceinline__ unsigned high_mask(int shift) { return shift == 24 ? 0u : 0xFFFFFFFFu << (shift + 8); }

// Radix select over the keys of xr[0, cols), 8 bits per pass from the top: each pass sums
// weight(l, key) (a count of 1 in a 32-bit histogram H, or a fixed-point mass in a 64-bit one; 0
// leaves the key out) per digit over the keys sharing the prefix chosen so far, and takes the digit
// holding the need-th unit from the top; need_of(total) sets need from the first pass's total.
// Returns the key the prefix ends at. Block-wide: every thread calls; xr may be global or shared;
// hist, pickBin and pickNeed are shared.
template <typename H, typename Weight, typename NeedOf>
__device__ __forceinline__ unsigned radix_select(const float* __restrict__ xr, int cols, H* hist, unsigned* pickBin,
                                                 unsigned long long* pickNeed, bool warpPick, Weight weight, NeedOf need_of) {
    unsigned prefix = 0u;
    unsigned long long need = 0ull;
    for (int shift = 24; shift >= 0; shift -= 8) {
        const unsigned high = high_mask(shift);
        for (int b = threadIdx.x; b < RADIX; b += blockDim.x) hist[b] = 0;
        __syncthreads();
        strata::for_row<true>(xr, cols, [&](float l, int c) {  // whole warps per call
            unsigned bin = NO_BIN;
            unsigned long long v = 0ull;
            if (c < cols) {
                const unsigned k = sample_key(l);
                if ((k & high) == prefix) v = weight(l, k);
                if (v != 0ull) bin = (k >> shift) & 0xFFu;
            }
            if (__any_sync(strata::FULL_MASK, v != 0ull)) add_aggregated(hist, bin, v);  // warp-uniform
        });
        __syncthreads();
        if (warpPick) {
            if (threadIdx.x < 32) {  // warp 0, whole
                if (shift == 24) need = need_of(warp_hist_total(hist));
                const unsigned bin = pick_digit_warp(hist, need);
                if (threadIdx.x == 0) {
                    *pickBin = bin;
                    *pickNeed = need;
                }
            }
        } else if (threadIdx.x == 0) {
            if (shift == 24) {
                unsigned long long total = 0ull;
                for (int b = 0; b < RADIX; b++) total += (unsigned long long)hist[b];
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

// The 2^-40 fixed-point weight exp((l - m) / t) of a logit l under row max m and temperature t.
__device__ __forceinline__ unsigned long long fixed_mass(float l, float m, float t) {
    return (unsigned long long)(expf((l - m) / t) * 0x1p40f);
}

// The mass top-p needs kept, topP · z (topP in 2^-24 units), at least 1.
__device__ __forceinline__ unsigned long long top_p_need(unsigned long long z, int topP) {
    const unsigned long long need = (z >> 24) * (unsigned long long)topP + (((z & 0xFFFFFFull) * (unsigned long long)topP) >> 24);
    return need == 0ull ? 1ull : need;
}

// Candidates (keys at or above the top-k floor) kept in shared memory for the passes after it.
constexpr int CAND_CAP = 2048;

// The Gumbel-max draw's step for token c (logit l): among the tokens whose key reaches thr and that
// min-p keeps, (bv, bi) becomes the best (l - m) / t + gumbel(base, c) so far.
__device__ __forceinline__ void draw_step(float l, int c, unsigned thr, float m, float t, float minP, unsigned long long base,
                                          float& bv, int& bi) {
    if (sample_key(l) < thr) return;
    const float d = (l - m) / t;
    if (minP > 0.f && !(expf(d) >= minP)) return;
    const float s = d + gumbel(base, c);
    if (strata::argmax_better(s, c, bv, bi)) { bv = s; bi = c; }
}

// Appends the keys of xr[lo, hi) at or above floorK and their tokens to candV / candI (shared, or a
// row's in global memory), slots counted in *count (none written past CAND_CAP), one atomic per
// warp with any.
__device__ __forceinline__ void append_candidates(const float* __restrict__ xr, int lo, int hi, unsigned floorK, float* candV,
                                                  int* candI, int* count) {
    const int lane = threadIdx.x & 31;
    strata::for_row<true>(xr + lo, hi - lo, [&](float l, int c) {  // whole warps per call
        const bool hit = c < hi - lo && sample_key(l) >= floorK;
        const unsigned hits = __ballot_sync(strata::FULL_MASK, hit);
        if (hits == 0u) return;
        const int leader = __ffs(hits) - 1;
        int at = 0;
        if (lane == leader) at = atomicAdd(count, __popc(hits));
        at = __shfl_sync(strata::FULL_MASK, at, leader) + __popc(hits & ((1u << lane) - 1u));
        if (hit && at < CAND_CAP) {
            candV[at] = l;
            candI[at] = lo + c;
        }
    });
}

extern "C" __global__ void __launch_bounds__(1024) sample_f32(const float* __restrict__ x, int xStride, const int* __restrict__ params, int pStride, int* out,
                                      int cols, int options, float* partV, int* partI, int* counters, float* candV, int* candI,
                                      const int* rowArgmax, unsigned long long* partZ) {
    const bool compactAllowed = (options & 1) != 0, topPRejection = (options & 2) != 0, warpPick = (options & 4) != 0,
               splitTopKAllowed = (options & 8) != 0, testLaunch = (options & 16) != 0;
    strata::pdl_entry();
    if ((blockDim.x & 31) != 0) __trap();  // the histogram loops run whole warps
    __shared__ float sv[32];
    __shared__ int si[32];
    __shared__ unsigned long long hist[RADIX];  // masses; counts use its first half as 32-bit bins
    __shared__ float threadMax[1024];           // pass 1's per-thread maxima (-inf for a thread with none)
    __shared__ unsigned long long sz[32];
    __shared__ unsigned pickBin;
    __shared__ unsigned long long pickNeed;
    __shared__ float candL[CAND_CAP];  // the row's keys at or above the top-k floor: logits
    __shared__ int candC[CAND_CAP];    // and their tokens, in no particular order
    __shared__ int nCand;
    __shared__ unsigned long long splitZ;  // a top-p row's first draw by the split launches: Z and token,
    __shared__ int splitJ;                 // when its test rejected it
    __shared__ unsigned long long massAboveJ;
    bool rejectedOnce = false;
    const int row = blockIdx.x, splits = gridDim.y;
    const float* xr = x + (size_t)row * xStride;
    const int* p = params + (size_t)row * pStride;
    const float t = __int_as_float(p[0]), minP = __int_as_float(p[3]);
    const int topK = p[1], topP = p[2];
    const bool drawn = t > 0.f && topK != 1;
    // The top-k floor from the threads' maxima needs no more than one key a thread.
    const bool floored = topK > 1 && topK < cols && topK <= (int)blockDim.x;
    // Each part's floor keeps about top-k of its keys (1.0-1.1 · k a part on random rows in a model
    // of this kernel; ties add more): split only where splits · k is half the candidates' room
    // (after floored, so topK <= 1024 and the product cannot overflow). The split top-k always
    // compacts, whatever compactAllowed says.
    const bool splitTopK = splits > 1 && splitTopKAllowed && drawn && floored && topK * splits <= CAND_CAP / 2;
    if (splitTopKAllowed && splits > 1 && (candV == nullptr || candI == nullptr)) __trap();
    // A row drawn from every token (no top-k cut; min-p needs only m) with the row's argmax given
    // (rowArgmax: argmax_f32 launched before, with the same fix-ups as best below): without top-p,
    // or with top-p found by rejection, whose first draw is this one (and Z its parts' masses).
    const bool topPRow = topP < TOP_P_ONE;
    const bool splitDraw = splits > 1 && rowArgmax != nullptr && drawn && !(topK > 1 && topK < cols) && (!topPRow || (topPRejection && partZ != nullptr));
    const unsigned long long seed = (unsigned long long)(unsigned)p[4] | ((unsigned long long)(unsigned)p[5] << 32);
    const unsigned long long base = mix64(seed ^ mix64((unsigned long long)(unsigned)p[6] + GOLDEN));
    // A top-p row's split draw stores its Z and token in rowDraw; the test launch reads them.
    unsigned long long* rowDraw = partZ == nullptr ? nullptr : partZ + (size_t)gridDim.x * splits + 2 * (size_t)row;
    if (testLaunch) {
        // The rejection test of a top-p row's split draw: the mass of the keys above the drawn
        // token's, summed over the parts; the last block accepts the token, or goes on with the
        // single-block rounds below from the rejected draw.
        if (!(splitDraw && topPRow)) return;  // drawn by the launch before
        const int best = rowArgmax[row];
        const float m = cols > 0 ? xr[best] : 0.f;
        if (!isfinite(m)) return;  // greedy: drawn by the launch before
        const int j = (int)__ldcg(rowDraw + 1);
        const unsigned above = sample_key(xr[j]) + 1u;  // no key is 0xFFFFFFFF
        int partLo, partHi;
        strata::split_part(cols, partLo, partHi);
        unsigned long long mz = 0ull;
        strata::for_row<false>(xr + partLo, partHi - partLo, [&](float l, int) {
            if (sample_key(l) >= above) mz += fixed_mass(l, m, t);
        });
        mz = block_sum_u64(mz, sz);
        if (threadIdx.x == 0) partZ[(size_t)row * splits + blockIdx.y] = mz;  // fenced by the merge's thread 0
        float unusedV = 0.f;
        int unusedI = 0;
        if (!strata::split_argmax_merge(unusedV, unusedI, partV, partI, counters, row, splits)) return;  // counts the parts
        if (threadIdx.x == 0) {
            unsigned long long sum = 0ull;
            for (int q = 0; q < splits; q++) sum += __ldcg(partZ + (size_t)row * splits + q);
            massAboveJ = sum;
            splitZ = __ldcg(rowDraw);
            splitJ = j;
        }
        __syncthreads();
        if (massAboveJ < top_p_need(splitZ, topP)) {
            if (threadIdx.x == 0) out[row] = j;
            return;
        }
        rejectedOnce = true;
    }
    if (splits > 1 && !splitTopK && !splitDraw) {
        if (drawn) {
            if (blockIdx.y != 0) return;  // a row to draw from: block (row, 0) runs every pass below
        } else if (rowArgmax != nullptr) {
            if (blockIdx.y == 0 && threadIdx.x == 0) out[row] = rowArgmax[row];
            return;
        } else {
            int i;
            if (!strata::row_argmax(xr, cols, sv, si, partV, partI, counters, row, i)) return;
            if (threadIdx.x == 0) out[row] = cols <= 0 || i == strata::NO_INDEX || xr[0] != xr[0] ? 0 : i;
            return;
        }
    }
    if (splitDraw && !testLaunch) {
        // Every block draws over its part with the row's m, and the parts' draws merge as an argmax
        // (split_argmax_merge: argmax_better is a total order on (score, token)), the draw one block
        // makes over the whole row.
        const int best = rowArgmax[row];
        const float m = cols > 0 ? xr[best] : 0.f;
        if (!isfinite(m)) {
            if (blockIdx.y == 0 && threadIdx.x == 0) out[row] = best;
            return;
        }
        int partLo, partHi;
        strata::split_part(cols, partLo, partHi);
        float dv = -INFINITY;
        int di = strata::NO_INDEX;
        unsigned long long mz = 0ull;
        strata::for_row<false>(xr + partLo, partHi - partLo, [&](float l, int c) {
            if (topPRow && sample_key(l) != 0u) mz += fixed_mass(l, m, t);  // every token but NaN, as drawFrom's z
            draw_step(l, partLo + c, 0u, m, t, minP, base, dv, di);
        });
        di = strata::block_argmax(dv, di, sv, si, &dv);
        if (topPRow) {
            mz = block_sum_u64(mz, sz);
            if (threadIdx.x == 0) partZ[(size_t)row * splits + blockIdx.y] = mz;  // fenced by the merge's thread 0
        }
        if (!strata::split_argmax_merge(dv, di, partV, partI, counters, row, splits)) return;
        if (!topPRow) {
            if (threadIdx.x == 0) out[row] = di == strata::NO_INDEX ? best : di;
            return;
        }
        // The row's first top-p draw and Z, for the test launch that follows.
        if (threadIdx.x == 0) {
            unsigned long long z = 0ull;
            for (int q = 0; q < splits; q++) z += __ldcg(partZ + (size_t)row * splits + q);
            rowDraw[0] = z;
            rowDraw[1] = (unsigned long long)(di == strata::NO_INDEX ? best : di);
        }
        return;
    }

    // Pass 1 over the row, or over this block's part of it with splitTopK; a row without the top-k
    // floor (which needs the threads' maxima) takes a given rowArgmax instead.
    int partLo = 0, partHi = cols;
    if (splitTopK) strata::split_part(cols, partLo, partHi);
    float bv = -INFINITY, bestV = -INFINITY;
    int bi = strata::NO_INDEX, best;
    if (rowArgmax != nullptr && !floored) {
        best = rowArgmax[row];
    } else {
        strata::for_row<false>(xr + partLo, partHi - partLo, [&](float v, int c) {
            if (strata::argmax_better(v, partLo + c, bv, bi)) { bv = v; bi = partLo + c; }
        });
        threadMax[threadIdx.x] = bv;
        best = strata::block_argmax(bv, bi, sv, si, &bestV);
    }

    // top-k: the k-th largest key (a count of 1 per key); top-p: the largest key whose 2^-40
    // fixed-point mass at and above it reaches topP · Z over the keys top-k kept (NaN, key 0: none).
    unsigned* counts = reinterpret_cast<unsigned*>(hist);
    const auto kth = [=](unsigned long long) { return (unsigned long long)topK; };
    // The k-th largest of the threads' maxima, but never at -inf or below: -inf keys carry no mass
    // and are never drawn (the row's finite maximum is always kept), so a row masked to -inf but
    // for a few tokens still compacts. With fewer than k keys above -inf the top-k cut then ends at
    // key 0 instead of -inf's: the same tokens kept and drawn.
    const auto threadMaxFloor = [&] {
        return max(radix_select(threadMax, blockDim.x, counts, &pickBin, &pickNeed, warpPick, [](float, unsigned) { return 1ull; }, kth),
                   sample_key(-INFINITY) + 1u);
    };
    unsigned floorK = 0u;  // the top-k cut counts keys at or above it
    bool compact = false;
    if (splitTopK) {
        // This part's candidates to the row's, then the parts' argmax merged; the row's last block
        // goes on with every part's candidates (each part fenced them before counting itself) and
        // counts all of them in the top-k cut.
        float* rowCandV = candV + (size_t)row * CAND_CAP;
        int* rowCandI = candI + (size_t)row * CAND_CAP;
        int* count = counters + gridDim.x + row;
        append_candidates(xr, partLo, partHi, threadMaxFloor(), rowCandV, rowCandI, count);
        __threadfence();
        __syncthreads();
        if (!strata::split_argmax_merge(bestV, best, partV, partI, counters, row, splits)) return;
        if (threadIdx.x == 0) {
            nCand = __ldcg(count);
            *count = 0;  // for the next launch: every part has counted its candidates
        }
        __syncthreads();
        compact = nCand <= CAND_CAP;
        if (compact)
            for (int i = threadIdx.x; i < nCand; i += blockDim.x) {
                candL[i] = __ldcg(rowCandV + i);
                candC[i] = __ldcg(rowCandI + i);
            }
        __syncthreads();
    }
    if (cols <= 0 || best == strata::NO_INDEX || xr[0] != xr[0]) best = 0;
    const float m = cols > 0 ? xr[best] : 0.f;
    if (!drawn || !isfinite(m)) {
        if (threadIdx.x == 0) out[row] = best;
        return;
    }
    if (!splitTopK && floored) floorK = threadMaxFloor();
    // With a floor, one pass copies the row's keys at or above it (every token a later pass counts
    // or draws) into candL / candC, one shared atomic per warp with any; where they fit, the later
    // passes read those instead of the row (the same cuts and draw: counts and fixed-point masses
    // do not depend on the order of addition, nor the draw's argmax on the order of its candidates).
    if (!splitTopK && compactAllowed && floored) {
        if (threadIdx.x == 0) nCand = 0;
        __syncthreads();
        append_candidates(xr, 0, cols, floorK, candL, candC, &nCand);
        __syncthreads();
        compact = nCand <= CAND_CAP;
    }
    // Each select is called with the candidates or with the row, so that the row's loads stay
    // global (non-coherent) loads where the compiler can tell, as before the candidates existed.
    const auto cutK = [&](const float* src, int n) {
        return radix_select(src, n, counts, &pickBin, &pickNeed, warpPick, [=](float, unsigned k) { return k >= floorK ? 1ull : 0ull; }, kth);
    };
    const unsigned thrK = topK > 1 && topK < cols ? (compact ? cutK(candL, nCand) : cutK(xr, cols)) : 0u;
    const auto cutP = [&](const float* src, int n) {
        return radix_select(src, n, hist, &pickBin, &pickNeed, warpPick,
                            [=](float l, unsigned k) {
                                return k >= thrK && k != 0u ? fixed_mass(l, m, t) : 0ull;
                            },
                            [=](unsigned long long z) { return top_p_need(z, topP); });
    };
    if (topPRejection && topP < TOP_P_ONE) {
        // The draw among keys >= lo that min-p keeps, starting from best (kept by every cut; a token
        // more than GUMBEL_MAX below the best score so far cannot win); with z, the mass of the
        // keys >= lo into *z. massAbove: the mass of the keys >= lo. Both over the candidates or
        // the row (for_kept).
        const auto drawFrom = [&](unsigned lo, unsigned long long* z) {
            float dv = gumbel(base, best);
            int di = best;
            unsigned long long mz = 0ull;
            const auto f = [&](float l, int c) {
                const unsigned k = sample_key(l);
                if (k < lo) return;
                const float d = (l - m) / t;
                if (z != nullptr && k != 0u) mz += fixed_mass(l, m, t);
                if (d + GUMBEL_MAX < dv || (minP > 0.f && !(expf(d) >= minP))) return;
                const float s = d + gumbel(base, c);
                if (strata::argmax_better(s, c, dv, di)) { dv = s; di = c; }
            };
            for_kept(compact, candL, candC, nCand, xr, cols, f);
            if (z != nullptr) *z = block_sum_u64(mz, sz);
            return strata::block_argmax(dv, di, sv, si);
        };
        const auto massAbove = [&](unsigned lo) {
            unsigned long long mz = 0ull;
            const auto f = [&](float l, int) {
                if (sample_key(l) >= lo) mz += fixed_mass(l, m, t);
            };
            for_kept(compact, candL, candC, nCand, xr, cols, f);
            return block_sum_u64(mz, sz);
        };
        unsigned long long z = splitZ;
        int j = rejectedOnce ? splitJ : drawFrom(thrK, &z);
        const unsigned long long need = top_p_need(z, topP);
        for (int round = 1; round <= ROUNDS; round++) {
            const unsigned above = sample_key(xr[j]) + 1u;  // no key is 0xFFFFFFFF
            if (!(round == 1 && rejectedOnce) && massAbove(above) < need) {
                if (threadIdx.x == 0) out[row] = j;
                return;
            }
            if (round < ROUNDS) j = drawFrom(above, nullptr);
        }
    }
    const unsigned thrP = topP < TOP_P_ONE ? (compact ? cutP(candL, nCand) : cutP(xr, cols)) : 0u;
    const unsigned thr = max(thrK, thrP);
    bv = -INFINITY;
    bi = strata::NO_INDEX;
    for_kept(compact, candL, candC, nCand, xr, cols, [&](float l, int c) { draw_step(l, c, thr, m, t, minP, base, bv, bi); });
    const int pick = strata::block_argmax(bv, bi, sv, si);
    if (threadIdx.x == 0) out[row] = pick == strata::NO_INDEX ? best : pick;
}
