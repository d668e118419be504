// Fused attention over an F32 KV cache (or, uncached, over the step's own k/v rows).
// Semantics (CPU reference AttentionCpu): for every (sequence b, query head h, query i),
// softmax(q·Kᵀ·scale + mask) · V over the visible keys; query head h reads KV head
// h / (heads / kvHeads) (GQA/MQA); keys j < maskCols get mask[b·maskStride + j] added; keys
// j < biasKeyCols get the position bias bias[((b·seqLen + i)·biasKeyCols + j)·biasStride + h]
// added (T5; bias may be null); causal means key j is visible iff j <= the query's absolute
// position; a query with no finite score writes zeros. Uncached attention reads kvLen keys per
// sequence (k/v rows b·kvLen + j; kvLen = seqLen for self-attention, the source length for
// cross-attention). All math is float with an online (running max) softmax; q is pre-scaled.
//
// kv_append_f32: copies the step's K/V rows into the cache: row (b, i) of k/v ->
//   cache[slots[b]][past[b] + i][0..width). Launch: grid = batch·seqLen exactly (block r copies
//   row r), block 256.
//
// attention_prefill_f32: flash-attention forward, F32 on CUDA cores. One block = 64 query rows
//   (BLOCK_Q) of one (head, sequence); key tiles of BK = 64 (32 when headDim > 128) go through
//   shared memory: Qᵀ tile [HD][64] (loaded once, pre-scaled), one K/V buffer (Kᵀ [HD][BK] for
//   the scores, then V [BK][HD] for the output), and the probabilities Pᵀ [BK][68]. 256 threads
//   as 16 x 16: thread (ty, tx) owns query rows 4ty..4ty+3, for the scores keys RK·tx.. (RK =
//   BK/16) and for the output columns 4tx + 64c. Causal blocks stop at the last key their last
//   query can see. HD = headDim rounded up to 64, 128 or 256 (headDim <= 256).
//   Launch: grid (ceil(seqLen / 64), heads, batch), block 256, dynamic shared memory
//   attention_prefill_smem_bytes(headDim) below (more than 48 KiB: the launcher must raise
//   CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES; the kernel traps if given too little).
//
// attention_decode_f32: one new query per sequence (seqLen = 1, cached, all past[b] + 1 keys
//   visible), split-K ("flash decoding"). Block (split s, kvHead, b) reads keys
//   [s·chunk, min((s+1)·chunk, len)) of its KV head once, straight from global memory with
//   16-byte loads, and serves all heads / kvHeads query heads of the group: each lane group of
//   LPK lanes (32, or 16 when headDim <= 64) holds one key row split over its lanes, the GT
//   query heads' dot products are reduced together with a transposing butterfly (GT - 1 +
//   log2(LPK / GT) shuffles instead of GT·log2(LPK)), each lane then runs the online softmax of
//   one head and the probabilities are broadcast back for the P·V update. Lane groups merge
//   through shared memory at the end; the block writes, per query head, the unnormalised
//   accumulator then m (running max) and l (sum of exp) to partial[((b·heads + h)·splits + s)
//   ·(headDim + 2)]. An empty or fully masked split writes zeros and m = -inf. The last block of
//   each (b, kvHead) to finish (counted in counters[b·kvHeads + kvHead], which must be zero before
//   the launch and are zero after it) merges the splits into out[b, h·headDim + d] =
//   Σ_s acc_s[d]·e^(m_s - M) / Σ_s l_s·e^(m_s - M), M = max_s m_s, zeros when M = -inf.
//   Launch: grid (splits, kvHeads, batch), block 128 or 256 (at most 256), no dynamic shared
//   memory (33 KiB static).
//
// attention_decode_append_f32: the same with kv_append_f32 fused: the step's k/v rows come as
//   arguments, block (0, kvHead, b) writes that KV head's slice into cache row past[b], and every
//   block reads key past[b] from the step's rows (never from the cache row being written).
#include "strata_cuda.cuh"

#include <type_traits>

namespace {

using strata::FULL_MASK;

// ============================================================================ kv_append

__device__ __forceinline__ void kv_append(const float* __restrict__ k, int kStride, const float* __restrict__ v,
                                          int vStride, const int* __restrict__ past, const int* __restrict__ slots,
                                          float* __restrict__ kCache, float* __restrict__ vCache, int capacity,
                                          int width, int seqLen) {
    const int r = blockIdx.x, b = r / seqLen, i = r % seqLen;
    const size_t dst = ((size_t)slots[b] * capacity + past[b] + i) * width;
    const float* ks = k + (size_t)r * kStride;
    const float* vs = v + (size_t)r * vStride;
    for (int c = threadIdx.x; c < width; c += blockDim.x) {
        kCache[dst + c] = ks[c];
        vCache[dst + c] = vs[c];
    }
}

// ============================================================================ prefill

constexpr int PF_THREADS = 256;
constexpr int PF_BQ = 64;           // query rows per block
constexpr int PF_PSTRIDE = PF_BQ + 4;  // row stride of Pᵀ (padding spreads the float4 stores over banks)

__host__ __device__ constexpr int pf_hd(int headDim) { return headDim <= 64 ? 64 : headDim <= 128 ? 128 : 256; }
__host__ __device__ constexpr int pf_bk(int hd) { return hd <= 128 ? 64 : 32; }
__host__ __device__ constexpr int pf_smem_floats(int hd) { return hd * PF_BQ + hd * pf_bk(hd) + pf_bk(hd) * PF_PSTRIDE; }

template <int HD, int BK, int VEC>
__device__ __forceinline__ void attention_prefill(
    const float* __restrict__ q, int qStride, const float* __restrict__ k, int kStride, const float* __restrict__ v,
    int vStride, const float* __restrict__ kCache, const float* __restrict__ vCache, int capacity, int cached,
    const int* __restrict__ past, const int* __restrict__ slots, const float* __restrict__ mask, int maskStride,
    int maskCols, const float* __restrict__ bias, int biasStride, int biasKeyCols, float* __restrict__ out,
    int outStride, int seqLen, int kvLen, int heads, int kvHeads, int headDim, float scale, int causal, float* smem) {
    constexpr int RK = BK / 16;     // keys per thread in the score tile
    constexpr int CC = HD / 64;     // float4 output column chunks per thread
    float* Qt = smem;               // [HD][BQ]   Qᵀ, pre-scaled
    float* KV = Qt + HD * PF_BQ;    // [HD][BK] Kᵀ, then [BK][HD] V
    float* Pt = KV + HD * BK;       // [BK][PSTRIDE] Pᵀ

    const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
    const int q0 = blockIdx.x * PF_BQ, h = blockIdx.y, b = blockIdx.z;
    const int kvh = h / (heads / kvHeads);
    const int p0 = cached ? past[b] : 0;
    const int len = cached ? p0 + seqLen : kvLen;
    const strata::SequenceKeys keys = strata::sequence_keys(k, kStride, v, vStride, kCache, vCache, capacity, cached, slots, b, kvLen,
                                                            kvHeads, kvh, headDim);
    const float *kb = keys.k, *vb = keys.v;
    const int rs = keys.kStride, vrs = keys.vStride;
    const int nch = headDim / VEC;  // VEC-wide chunks per row

    // Qᵀ tile: lanes walk query rows (conflict-free transposed stores); rows past seqLen are 0.
    for (int idx = tid; idx < PF_BQ * nch; idx += PF_THREADS) {
        const int row = idx % PF_BQ, ch = idx / PF_BQ, i = q0 + row;
        const float* src = q + (size_t)(b * seqLen + i) * qStride + (size_t)h * headDim + ch * VEC;
        if constexpr (VEC == 4) {
            const float4 x = i < seqLen ? strata::load4(src) : make_float4(0.f, 0.f, 0.f, 0.f);
            Qt[(ch * 4 + 0) * PF_BQ + row] = x.x * scale;
            Qt[(ch * 4 + 1) * PF_BQ + row] = x.y * scale;
            Qt[(ch * 4 + 2) * PF_BQ + row] = x.z * scale;
            Qt[(ch * 4 + 3) * PF_BQ + row] = x.w * scale;
        } else {
            Qt[ch * PF_BQ + row] = i < seqLen ? __ldg(src) * scale : 0.f;
        }
    }

    // Keys this block needs: causal stops after the last query's own position.
    const int lastQ = min(q0 + PF_BQ, seqLen) - 1;
    const int kEnd = causal ? min(len, p0 + lastQ + 1) : len;

    float m[4], lsum[4], acc[4][4 * CC];
#pragma unroll
    for (int i = 0; i < 4; i++) {
        m[i] = -INFINITY;
        lsum[i] = 0.f;
#pragma unroll
        for (int c = 0; c < 4 * CC; c++) acc[i][c] = 0.f;
    }

    constexpr int KLOADS = (BK * HD / VEC + PF_THREADS - 1) / PF_THREADS;  // per-thread tile loads (upper bound)
    for (int kt = 0; kt < kEnd; kt += BK) {
        const int cnt = min(BK, kEnd - kt);
        __syncthreads();  // the previous tile's P·V is done with KV and Pt
        // Kᵀ tile: lanes walk keys so the transposed stores are conflict-free; loads are issued
        // in batches of KB before their stores.
        constexpr int KB = KLOADS < 8 ? KLOADS : (HD >= 256 && VEC == 4 ? 4 : 8);  // fewer in flight beside 64 accumulators
#pragma unroll 1
        for (int r0 = 0; r0 < KLOADS; r0 += KB) {
            using Vt = typename std::conditional<VEC == 4, float4, float>::type;
            Vt kreg[KB];
#pragma unroll
            for (int r = 0; r < KB; r++) {
                const int idx = tid + (r0 + r) * PF_THREADS, key = idx % BK, ch = idx / BK;
                const bool ok = idx < BK * nch && key < cnt;
                const float* src = kb + (size_t)(kt + key) * rs + ch * VEC;
                if constexpr (VEC == 4)
                    kreg[r] = ok ? strata::load4(src) : make_float4(0.f, 0.f, 0.f, 0.f);
                else
                    kreg[r] = ok ? __ldg(src) : 0.f;
            }
#pragma unroll
            for (int r = 0; r < KB; r++) {
                const int idx = tid + (r0 + r) * PF_THREADS, key = idx % BK, ch = idx / BK;
                if (idx < BK * nch) {
                    if constexpr (VEC == 4) {
                        KV[(ch * 4 + 0) * BK + key] = kreg[r].x;
                        KV[(ch * 4 + 1) * BK + key] = kreg[r].y;
                        KV[(ch * 4 + 2) * BK + key] = kreg[r].z;
                        KV[(ch * 4 + 3) * BK + key] = kreg[r].w;
                    } else {
                        KV[ch * BK + key] = kreg[r];
                    }
                }
            }
        }
        __syncthreads();

        // S = Q·Kᵀ for rows 4ty..4ty+3, keys RK·tx..RK·tx+RK-1.
        float s[4][RK];
#pragma unroll
        for (int i = 0; i < 4; i++)
#pragma unroll
            for (int j = 0; j < RK; j++) s[i][j] = 0.f;
#pragma unroll 4
        for (int d = 0; d < headDim; d++) {
            const float4 a = *reinterpret_cast<const float4*>(Qt + d * PF_BQ + 4 * ty);
            float kk[RK];
            if constexpr (RK == 4) {
                const float4 t = *reinterpret_cast<const float4*>(KV + d * BK + 4 * tx);
                kk[0] = t.x; kk[1] = t.y; kk[2] = t.z; kk[3] = t.w;
            } else {
                const float2 t = *reinterpret_cast<const float2*>(KV + d * BK + 2 * tx);
                kk[0] = t.x; kk[1] = t.y;
            }
            const float av[4] = {a.x, a.y, a.z, a.w};
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < RK; j++) s[i][j] = fmaf(av[i], kk[j], s[i][j]);
        }

        __syncthreads();  // everyone is done with Kᵀ
        // V tile [BK][HD] row-major into the same buffer, asynchronously (no registers), while
        // the softmax runs; rows past cnt are zero-filled.
        for (int idx = tid; idx < BK * nch; idx += PF_THREADS) {
            const int key = idx / nch, ch = idx % nch;
            const bool ok = key < cnt;
            const float* src = ok ? vb + (size_t)(kt + key) * vrs + ch * VEC : vb;
            if constexpr (VEC == 4)
                strata::cp_async16(KV + key * HD + ch * 4, src, ok);
            else
                strata::cp_async4(KV + key * HD + ch, src, ok);
        }
        strata::cp_async_commit();

        // Mask, causal limit, online softmax; Pᵀ to shared memory.
        float mv[RK];
#pragma unroll
        for (int j = 0; j < RK; j++) {
            const int key = kt + RK * tx + j;
            mv[j] = (mask != nullptr && key < maskCols) ? __ldg(mask + (size_t)b * maskStride + key) : 0.f;
        }
#pragma unroll
        for (int i = 0; i < 4; i++) {
            const int qi = q0 + 4 * ty + i;
            const int limit = causal ? min(kEnd, p0 + qi + 1) : kEnd;  // keys < limit are visible
            float tmax = -INFINITY;
#pragma unroll
            for (int j = 0; j < RK; j++) {
                const int key = kt + RK * tx + j;
                const float bv = (bias != nullptr && key < biasKeyCols && qi < seqLen)
                                     ? __ldg(bias + ((size_t)(b * seqLen + qi) * biasKeyCols + key) * biasStride + h)
                                     : 0.f;
                s[i][j] = key < limit ? s[i][j] + mv[j] + bv : -INFINITY;
                tmax = fmaxf(tmax, s[i][j]);
            }
#pragma unroll
            for (int o = 8; o > 0; o >>= 1) tmax = fmaxf(tmax, __shfl_xor_sync(FULL_MASK, tmax, o));
            const float mnew = fmaxf(m[i], tmax);
            const float muse = mnew == -INFINITY ? 0.f : mnew;
            const float corr = expf(m[i] - muse);
            m[i] = mnew;
            float ps = 0.f;
#pragma unroll
            for (int j = 0; j < RK; j++) {
                s[i][j] = expf(s[i][j] - muse);
                ps += s[i][j];
            }
            lsum[i] = lsum[i] * corr + ps;
#pragma unroll
            for (int c = 0; c < 4 * CC; c++) acc[i][c] *= corr;
        }
#pragma unroll
        for (int j = 0; j < RK; j++)
            *reinterpret_cast<float4*>(Pt + (RK * tx + j) * PF_PSTRIDE + 4 * ty) = make_float4(s[0][j], s[1][j], s[2][j], s[3][j]);
        strata::cp_async_wait_all();
        __syncthreads();  // V and Pᵀ are in place
        // O += P·V for rows 4ty.., columns 4tx + 64c.
        for (int key = 0; key < cnt; key++) {
            const float4 p = *reinterpret_cast<const float4*>(Pt + key * PF_PSTRIDE + 4 * ty);
            const float pv[4] = {p.x, p.y, p.z, p.w};
#pragma unroll
            for (int c = 0; c < CC; c++) {
                const float4 x = *reinterpret_cast<const float4*>(KV + key * HD + 4 * tx + 64 * c);
#pragma unroll
                for (int i = 0; i < 4; i++) {
                    acc[i][4 * c + 0] = fmaf(pv[i], x.x, acc[i][4 * c + 0]);
                    acc[i][4 * c + 1] = fmaf(pv[i], x.y, acc[i][4 * c + 1]);
                    acc[i][4 * c + 2] = fmaf(pv[i], x.z, acc[i][4 * c + 2]);
                    acc[i][4 * c + 3] = fmaf(pv[i], x.w, acc[i][4 * c + 3]);
                }
            }
        }
    }

#pragma unroll
    for (int i = 0; i < 4; i++) {
        float l = lsum[i];
#pragma unroll
        for (int o = 8; o > 0; o >>= 1) l += __shfl_xor_sync(FULL_MASK, l, o);
        const int qi = q0 + 4 * ty + i;
        if (qi >= seqLen) continue;
        float* dst = out + (size_t)(b * seqLen + qi) * outStride + (size_t)h * headDim;
        const float inv = l > 0.f ? 1.f / l : 0.f;
#pragma unroll
        for (int c = 0; c < CC; c++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const int d = 4 * tx + 64 * c + e;
                if (d < headDim) dst[d] = acc[i][4 * c + e] * inv;
            }
    }
}

// ============================================================================ decode

constexpr int DEC_MAX_THREADS = 256;
constexpr int DEC_SMEM_FLOATS = 8192;  // lane groups x GT x headDim accumulators (bounded below)

// Sums GT values across the LPK lanes of a group, transposing as it goes: returns, in every lane,
// the full sum of value g = sub / (LPK / GT). Steps with offsets LPK/2 .. LPK/GT halve the
// values carried (lanes with the offset bit set keep the upper half), the rest are plain xors.
template <int GT, int LPK>
__device__ __forceinline__ float transpose_reduce(float (&v)[GT], int sub) {
    int cnt = GT;
#pragma unroll
    for (int o = LPK / 2; o >= 1; o >>= 1) {
        if (cnt > 1) {
            const bool upper = (sub & o) != 0;
#pragma unroll
            for (int i = 0; i < GT / 2; i++) {
                if (i < cnt / 2) {
                    const float send = upper ? v[i] : v[i + cnt / 2];
                    const float keep = upper ? v[i + cnt / 2] : v[i];
                    v[i] = keep + __shfl_xor_sync(FULL_MASK, send, o);
                }
            }
            cnt /= 2;
        } else {
            v[0] += __shfl_xor_sync(FULL_MASK, v[0], o);
        }
    }
    return v[0];
}

// The split-K combine, fused: each block publishes its partials (fence), counts itself in
// counters[b·kvHeads + kvh], and the group's last block merges all splits of its G query heads:
// out[b, h·headDim + d] = Σ_s acc_s[d]·e^(m_s − M) / Σ_s l_s·e^(m_s − M), M = max_s m_s (zeros when
// M = −inf), in split order, then resets the counter to 0 for the next launch.
__device__ __forceinline__ void combine_if_last(const float* partial, int splits, float* __restrict__ out, int outStride,
                                                int* __restrict__ counters, int b, int kvh, int heads, int kvHeads,
                                                int headDim) {
    __shared__ int last;
    __threadfence();
    __syncthreads();
    if (threadIdx.x == 0) last = atomicAdd(counters + b * kvHeads + kvh, 1) == splits - 1;
    __syncthreads();
    if (!last) return;
    __threadfence();  // the reader's side of the splits' fences: the partials are read after the count
    const int G = heads / kvHeads;
    for (int t = threadIdx.x; t < G * headDim; t += blockDim.x) {
        const int hq = kvh * G + t / headDim, d = t % headDim;
        const float* p = partial + ((size_t)b * heads + hq) * splits * (headDim + 2);
        float M = -INFINITY;
        for (int sp = 0; sp < splits; sp++) M = fmaxf(M, __ldcg(p + (size_t)sp * (headDim + 2) + headDim));
        float A = 0.f, L = 0.f;
        if (M != -INFINITY)
            for (int sp = 0; sp < splits; sp++) {
                const float* ps = p + (size_t)sp * (headDim + 2);
                const float ms = __ldcg(ps + headDim);
                if (ms == -INFINITY) continue;
                const float f = expf(ms - M);
                A = fmaf(f, __ldcg(ps + d), A);
                L = fmaf(f, __ldcg(ps + headDim + 1), L);
            }
        out[(size_t)b * outStride + (size_t)hq * headDim + d] = L > 0.f ? A / L : 0.f;
    }
    if (threadIdx.x == 0) counters[b * kvHeads + kvh] = 0;
}

// VEC floats per load, CPL loads per lane per row (E = VEC·CPL dims per lane), LPK lanes per
// key row, GT query heads per pass, U keys per lane group in flight. APPEND: the step's K/V rows
// (kNew, vNew) are the last key, and this launch appends them to the cache (else both null).
template <int VEC, int CPL, int LPK, int GT, bool APPEND>
__device__ __forceinline__ void attention_decode(const float* __restrict__ q, int qStride, const float* __restrict__ kNew,
                                                 int kStride, const float* __restrict__ vNew, int vStride,
                                                 const float* __restrict__ kCache, const float* __restrict__ vCache,
                                                 int capacity, const int* __restrict__ past,
                                                 const int* __restrict__ slots, const float* __restrict__ mask,
                                                 int maskStride, int maskCols, const float* __restrict__ bias,
                                                 int biasStride, int biasKeyCols, float* __restrict__ partial, int splits,
                                                 int heads, int kvHeads, int headDim, float scale, float* smem,
                                                 float* __restrict__ out, int outStride, int* __restrict__ counters) {
    constexpr int E = VEC * CPL;
    constexpr int U = E >= 8 ? 1 : 2;
    constexpr int KPW = 32 / LPK;   // lane groups (keys in flight per step) per warp
    constexpr int LPG = LPK / GT;   // lanes holding the same head after the transposing reduction
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    const int kg = lane / LPK, sub = lane % LPK, gbase = kg * LPK;
    const int group = warp * KPW + kg, ngroups = nwarps * KPW;
    const int myg = sub / LPG;
    const int s = blockIdx.x, kvh = blockIdx.y, b = blockIdx.z;
    const int G = heads / kvHeads;
    const int len = past[b] + 1;
    const int chunk = (len + splits - 1) / splits;
    const int start = min(s * chunk, len), end = min(start + chunk, len);
    const int width = kvHeads * headDim;
    const size_t base = (size_t)slots[b] * capacity * width + (size_t)kvh * headDim;
    const float* kb = kCache + base;
    const float* vb = vCache + base;
    const int nch = headDim / VEC;
    // APPEND: the step's own K/V row is key len - 1, read from the step's rows (the entry appends
    // it to the cache, where no block of this launch reads that row)
    const float* kn = APPEND ? kNew + (size_t)b * kStride + (size_t)kvh * headDim : nullptr;
    const float* vn = APPEND ? vNew + (size_t)b * vStride + (size_t)kvh * headDim : nullptr;
    const float* maskRow = mask != nullptr ? mask + (size_t)b * maskStride : nullptr;

    float* smM = smem;                      // [ngroups][GT]
    float* smL = smM + ngroups * GT;        // [ngroups][GT]
    float* smAcc = smL + ngroups * GT;      // [ngroups][GT][headDim]

    for (int g0 = 0; g0 < G; g0 += GT) {
        float qr[GT][E], acc[GT][E];
#pragma unroll
        for (int g = 0; g < GT; g++) {
            const bool hv = g0 + g < G;
            const float* qh = q + (size_t)b * qStride + (size_t)(kvh * G + g0 + g) * headDim;
#pragma unroll
            for (int c = 0; c < CPL; c++) {
                const int ch = sub + c * LPK;
#pragma unroll
                for (int e = 0; e < VEC; e++) {
                    qr[g][c * VEC + e] = (hv && ch < nch) ? __ldg(qh + ch * VEC + e) * scale : 0.f;
                    acc[g][c * VEC + e] = 0.f;
                }
            }
        }
        float m = -INFINITY, l = 0.f;  // online softmax state of head g0 + myg (this lane group)

        // Warp-uniform trip count: every warp steps over KPW·U keys at a time.
        for (int jw = start + warp * KPW * U; jw < end; jw += nwarps * KPW * U) {
            const int j0 = jw + kg * U;
            float kr[U][E], vr[U][E];
#pragma unroll
            for (int u = 0; u < U; u++) {
                const int j = j0 + u;
                // APPEND: key len - 1 from the step's rows (rebased so that `+ j * width` lands on them)
                const bool fresh = APPEND && j == len - 1;
                const float* kbj = APPEND && fresh ? kn - (size_t)j * width : kb;
                const float* vbj = APPEND && fresh ? vn - (size_t)j * width : vb;
#pragma unroll
                for (int c = 0; c < CPL; c++) {
                    const int ch = sub + c * LPK;
                    const bool ok = j < end && ch < nch;
                    if constexpr (VEC == 4) {
                        const float4 kx = ok ? strata::load4(kbj + (size_t)j * width + ch * 4) : make_float4(0.f, 0.f, 0.f, 0.f);
                        const float4 vx = ok ? strata::load4(vbj + (size_t)j * width + ch * 4) : make_float4(0.f, 0.f, 0.f, 0.f);
                        kr[u][c * 4 + 0] = kx.x; kr[u][c * 4 + 1] = kx.y; kr[u][c * 4 + 2] = kx.z; kr[u][c * 4 + 3] = kx.w;
                        vr[u][c * 4 + 0] = vx.x; vr[u][c * 4 + 1] = vx.y; vr[u][c * 4 + 2] = vx.z; vr[u][c * 4 + 3] = vx.w;
                    } else {
                        kr[u][c] = ok ? __ldg(kbj + (size_t)j * width + ch) : 0.f;
                        vr[u][c] = ok ? __ldg(vbj + (size_t)j * width + ch) : 0.f;
                    }
                }
            }
            float sc[U];
#pragma unroll
            for (int u = 0; u < U; u++) {
                float part[GT];
#pragma unroll
                for (int g = 0; g < GT; g++) {
                    float t = 0.f;
#pragma unroll
                    for (int e = 0; e < E; e++) t = fmaf(qr[g][e], kr[u][e], t);
                    part[g] = t;
                }
                sc[u] = transpose_reduce<GT, LPK>(part, sub);
                const int j = j0 + u;
                if (j >= end || g0 + myg >= G) {
                    sc[u] = -INFINITY;
                } else {
                    if (maskRow != nullptr && j < maskCols) sc[u] += __ldg(maskRow + j);
                    if (bias != nullptr && j < biasKeyCols)
                        sc[u] += __ldg(bias + ((size_t)b * biasKeyCols + j) * biasStride + kvh * G + g0 + myg);
                }
            }
            float tmax = sc[0];
#pragma unroll
            for (int u = 1; u < U; u++) tmax = fmaxf(tmax, sc[u]);
            const float mnew = fmaxf(m, tmax);
            const float muse = mnew == -INFINITY ? 0.f : mnew;
            const float corr = expf(m - muse);
            float p[U], ps = 0.f;
#pragma unroll
            for (int u = 0; u < U; u++) {
                p[u] = expf(sc[u] - muse);
                ps += p[u];
            }
            l = l * corr + ps;
            m = mnew;
            // Broadcast each head's correction and probabilities to the whole lane group.
#pragma unroll
            for (int g = 0; g < GT; g++) {
                const int src = gbase + g * LPG;
                const float cg = __shfl_sync(FULL_MASK, corr, src);
                float pg[U];
#pragma unroll
                for (int u = 0; u < U; u++) pg[u] = __shfl_sync(FULL_MASK, p[u], src);
#pragma unroll
                for (int e = 0; e < E; e++) {
                    float a = acc[g][e] * cg;
#pragma unroll
                    for (int u = 0; u < U; u++) a = fmaf(pg[u], vr[u][e], a);
                    acc[g][e] = a;
                }
            }
        }

        // Merge the lane groups: per head, rescale to the block max and sum in group order.
        if (sub % LPG == 0) {
            smM[group * GT + myg] = m;
            smL[group * GT + myg] = l;
        }
#pragma unroll
        for (int g = 0; g < GT; g++)
#pragma unroll
            for (int c = 0; c < CPL; c++) {
                const int ch = sub + c * LPK;
                if (ch < nch)
#pragma unroll
                    for (int e = 0; e < VEC; e++) smAcc[(group * GT + g) * headDim + ch * VEC + e] = acc[g][c * VEC + e];
            }
        __syncthreads();
        for (int t = threadIdx.x; t < GT * headDim; t += blockDim.x) {
            const int g = t / headDim, d = t % headDim;
            if (g0 + g >= G) continue;
            float M = -INFINITY;
            for (int gr = 0; gr < ngroups; gr++) M = fmaxf(M, smM[gr * GT + g]);
            float A = 0.f, L = 0.f;
            if (M != -INFINITY)
                for (int gr = 0; gr < ngroups; gr++) {
                    const float mg = smM[gr * GT + g];
                    if (mg == -INFINITY) continue;
                    const float f = expf(mg - M);
                    A = fmaf(f, smAcc[(gr * GT + g) * headDim + d], A);
                    L = fmaf(f, smL[gr * GT + g], L);
                }
            const int hq = kvh * G + g0 + g;
            float* dst = partial + (((size_t)b * heads + hq) * splits + s) * (headDim + 2);
            dst[d] = A;
            if (d == 0) {
                dst[headDim] = M;
                dst[headDim + 1] = L;
            }
        }
        __syncthreads();  // shared memory is reused by the next head pass
    }
    combine_if_last(partial, splits, out, outStride, counters, b, kvh, heads, kvHeads, headDim);
}

template <int VEC, int CPL, int LPK, int GTMAX, bool APPEND>
__device__ __forceinline__ void attention_decode_gt(int G, const float* q, int qStride, const float* kNew, int kStride,
                                                    const float* vNew, int vStride, const float* kCache, const float* vCache,
                                                    int capacity, const int* past,
                                                    const int* slots, const float* mask, int maskStride, int maskCols,
                                                    const float* bias, int biasStride, int biasKeyCols, float* partial,
                                                    int splits, int heads, int kvHeads, int headDim, float scale,
                                                    float* smem, float* out, int outStride, int* counters) {
#define STRATA_DECODE_GT(GT) \
    attention_decode<VEC, CPL, LPK, GT, APPEND>(q, qStride, kNew, kStride, vNew, vStride, kCache, vCache, capacity, past, slots, \
                                        mask, maskStride, maskCols,                                                   \
                                        bias, biasStride, biasKeyCols, partial, splits, heads, kvHeads, headDim, scale, smem, \
                                        out, outStride, counters)
    if (G == 1) STRATA_DECODE_GT(1);
    else if (G == 2) STRATA_DECODE_GT(2);
    else if (G <= 4 || GTMAX == 4) STRATA_DECODE_GT(4);
    else STRATA_DECODE_GT(GTMAX);
#undef STRATA_DECODE_GT
}

// The decode kernels' shared body: checks the launch, then runs the variant for the head size and
// alignment (k / v are the step's rows under APPEND, else null).
template <bool APPEND>
__device__ __forceinline__ void attention_decode_dispatch(
    const float* q, int qStride, const float* k, int kStride, const float* v, int vStride, const float* kCache,
    const float* vCache, int capacity, const int* past, const int* slots, const float* mask, int maskStride, int maskCols,
    const float* bias, int biasStride, int biasKeyCols, float* partial, int splits, int heads, int kvHeads, int headDim,
    float scale, float* smem, float* out, int outStride, int* counters) {
    if (headDim > 256 || blockDim.x > DEC_MAX_THREADS || (blockDim.x & 31) != 0) __trap();
    const int G = heads / kvHeads;
    const bool vec = headDim % 4 == 0 && strata::aligned16(kCache) && strata::aligned16(vCache) &&
                     (!APPEND || (kStride % 4 == 0 && vStride % 4 == 0 && strata::aligned16(k) && strata::aligned16(v)));
#define STRATA_DECODE(VEC, CPL, LPK, GTMAX)                                                                          \
    attention_decode_gt<VEC, CPL, LPK, GTMAX, APPEND>(G, q, qStride, k, kStride, v, vStride, kCache, vCache, capacity, \
                                                      past, slots, mask, maskStride, maskCols, bias, biasStride,     \
                                                      biasKeyCols, partial, splits, heads, kvHeads, headDim, scale,  \
                                                      smem, out, outStride, counters)
    if (vec && headDim <= 64) STRATA_DECODE(4, 1, 16, 8);
    else if (vec && headDim <= 128) STRATA_DECODE(4, 1, 32, 8);
    else if (vec) STRATA_DECODE(4, 2, 32, 4);
    else STRATA_DECODE(1, 8, 32, 4);
#undef STRATA_DECODE
}

}  // namespace

// ============================================================================ entry points

extern "C" __global__ void kv_append_f32(const float* k, int kStride, const float* v, int vStride, const int* past,
                                         const int* slots, float* kCache, float* vCache, int capacity, int width,
                                         int seqLen) {
    strata::pdl_entry();
    kv_append(k, kStride, v, vStride, past, slots, kCache, vCache, capacity, width, seqLen);
}

extern "C" __global__ void __launch_bounds__(PF_THREADS, 2) attention_prefill_f32(
    const float* q, int qStride, const float* k, int kStride, const float* v, int vStride, const float* kCache,
    const float* vCache, int capacity, int cached, const int* past, const int* slots, const float* mask,
    int maskStride, int maskCols, const float* bias, int biasStride, int biasKeyCols, float* out, int outStride,
    int seqLen, int kvLen, int heads, int kvHeads, int headDim, float scale, int causal) {
    strata::pdl_entry();
    STRATA_DYNAMIC_SHARED(float4, smem4);
    float* smem = reinterpret_cast<float*>(smem4);
    if (headDim > 256 || blockDim.x != PF_THREADS || strata::dynamic_smem_bytes() < 4u * pf_smem_floats(pf_hd(headDim)))
        __trap();
    if (blockIdx.x * PF_BQ >= seqLen) return;
    const bool vec = headDim % 4 == 0 && qStride % 4 == 0 && strata::aligned16(q) &&
                     (cached ? strata::aligned16(kCache) && strata::aligned16(vCache)
                             : kStride % 4 == 0 && vStride % 4 == 0 && strata::aligned16(k) && strata::aligned16(v));
#define STRATA_PREFILL(HD, VEC)                                                                                    \
    attention_prefill<HD, pf_bk(HD), VEC>(q, qStride, k, kStride, v, vStride, kCache, vCache, capacity, cached,   \
                                          past, slots, mask, maskStride, maskCols, bias, biasStride, biasKeyCols, \
                                          out, outStride, seqLen, kvLen, heads, kvHeads, headDim, scale, causal, smem)
    switch (pf_hd(headDim)) {
        case 64: if (vec) STRATA_PREFILL(64, 4); else STRATA_PREFILL(64, 1); break;
        case 128: if (vec) STRATA_PREFILL(128, 4); else STRATA_PREFILL(128, 1); break;
        default: if (vec) STRATA_PREFILL(256, 4); else STRATA_PREFILL(256, 1); break;
    }
#undef STRATA_PREFILL
}

extern "C" __global__ void __launch_bounds__(DEC_MAX_THREADS, 2) attention_decode_f32(
    const float* q, int qStride, const float* kCache, const float* vCache, int capacity, const int* past,
    const int* slots, const float* mask, int maskStride, int maskCols, const float* bias, int biasStride,
    int biasKeyCols, float* partial, int splits, int heads, int kvHeads, int headDim, float scale, float* out, int outStride,
    int* counters) {
    strata::pdl_entry();
    __shared__ float smem[2 * 16 * 8 + DEC_SMEM_FLOATS];
    attention_decode_dispatch<false>(q, qStride, nullptr, 0, nullptr, 0, kCache, vCache, capacity, past, slots, mask, maskStride,
                                     maskCols, bias, biasStride, biasKeyCols, partial, splits, heads, kvHeads, headDim, scale, smem,
                                     out, outStride, counters);
}

extern "C" __global__ void __launch_bounds__(DEC_MAX_THREADS, 2) attention_decode_append_f32(
    const float* q, int qStride, const float* k, int kStride, const float* v, int vStride, float* kCache, float* vCache,
    int capacity, const int* past, const int* slots, const float* mask, int maskStride, int maskCols, const float* bias,
    int biasStride, int biasKeyCols, float* partial, int splits, int heads, int kvHeads, int headDim, float scale, float* out,
    int outStride, int* counters) {
    strata::pdl_entry();
    __shared__ float smem[2 * 16 * 8 + DEC_SMEM_FLOATS];
    if (blockIdx.x == 0) {  // split 0 of each (sequence, KV head) appends that head's slice of the step's row
        const int b = blockIdx.z, kvh = blockIdx.y, width = kvHeads * headDim;
        const size_t dst = ((size_t)slots[b] * capacity + past[b]) * width + (size_t)kvh * headDim;
        for (int d = threadIdx.x; d < headDim; d += blockDim.x) {
            kCache[dst + d] = k[(size_t)b * kStride + (size_t)kvh * headDim + d];
            vCache[dst + d] = v[(size_t)b * vStride + (size_t)kvh * headDim + d];
        }
    }
    attention_decode_dispatch<true>(q, qStride, k, kStride, v, vStride, kCache, vCache, capacity, past, slots, mask, maskStride,
                                    maskCols, bias, biasStride, biasKeyCols, partial, splits, heads, kvHeads, headDim, scale, smem,
                                    out, outStride, counters);
}

// Host-side formula for the launcher (documented in KERNELS.md):
//   attention_prefill_f32 dynamic shared memory bytes = 4 · (HD·64 + HD·BK + BK·68),
//   HD = headDim rounded up to 64 / 128 / 256, BK = 64 if HD <= 128 else 32:
//   HD 64 -> 50176, HD 128 -> 82944, HD 256 -> 107008.
static_assert(4 * pf_smem_floats(64) == 50176, "prefill smem formula");
static_assert(4 * pf_smem_floats(128) == 82944, "prefill smem formula");
static_assert(4 * pf_smem_floats(256) == 107008, "prefill smem formula");
