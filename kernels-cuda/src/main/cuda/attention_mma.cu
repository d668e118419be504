// Prefill attention on tensor cores: the attention of attention.cu's attention_prefill_f32 (same
// arguments and semantics: cached or uncached keys, GQA/MQA, causal, padding mask, T5 position
// bias, a row with no visible key writes zeros) with both matrix products in mma.sync
// m16n8k16 BF16 or F16 instructions and F32 accumulation, for models whose weights are 16-bit
// (AttentionSpec.compute). q, k, v, the KV cache and the output stay F32 in global memory; the
// inputs of each product are rounded to 16 bits in registers (q once, pre-scaled; K, V and the
// probabilities per tile), as PyTorch's BF16 SDPA rounds its BF16 tensors.
//
// attention_prefill_mma_{bf16,f16}_d{64,128}: block = MMA_BQ = 128 query rows of one (head, sequence);
//   8 warps, warp w owns rows 16w..16w+15 (one m16 tile). Keys go in tiles of MMA_BK = 64: the
//   tile's F32 K and V rows arrive in shared memory by cp.async (the next tile's copy runs while
//   this one computes), then the block rounds them once into 16-bit copies K16, V16 [64][HD+8]
//   (row-major; the padding makes ldmatrix conflict-free). Per tile and warp:
//     S[16][64] = Q·Kᵀ: Q's A fragments sit in registers for the whole kernel (HD/16 k-steps);
//       K's B fragments come from K16 by ldmatrix.x4 (two 8-key n tiles per instruction).
//     mask, bias and the causal limit are applied per score; online softmax per row (the 4 lanes of a quad share a row: max via two xor shuffles),
//       p = 2^((s - m)·log2 e); the O rescale is skipped while a row's max is unchanged.
//     O[16][HD] += P·V: the S accumulators of key tiles 2j and 2j+1 are, rounded, exactly the A
//       fragment of key step j (the C and A layouts of m16n8k16 coincide); V's B fragments come
//       from V16 by ldmatrix.x4.trans (two 8-dim n tiles per instruction).
//   Blocks run in reverse query order so the causal blocks with the most keys start first.
//   Requires headDim = HD (64 or 128) and blockDim 256; shared memory
//   mma_smem_bytes(HD) = 2·64·HD·4 (F32 stage) + 2·64·(HD + 8)·2 (16-bit copies) bytes: HD 64 ->
//   51200, HD 128 -> 100352 (the launcher opts in; GPUs with less opt-in shared memory use
//   attention_prefill_f32).
//   Launch: grid (ceil(seqLen / 128), heads, batch), block 256.
#include "strata_cuda.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace {

constexpr int MMA_THREADS = 256;
constexpr int MMA_BQ = 128;  // query rows per block: 8 warps x 16
constexpr int MMA_BK = 64;   // keys per tile
constexpr float LOG2E = 1.4426950408889634f;

__host__ __device__ constexpr int mma_smem_bytes(int hd) { return 2 * MMA_BK * hd * 4 + 2 * MMA_BK * (hd + 8) * 2; }
// The kv16 kernel's two stages of 16-bit K and V tiles [64][hd + 8].
__host__ __device__ constexpr int mma_kv16_smem_bytes(int hd) { return 2 * 2 * MMA_BK * (hd + 8) * 2; }
// The kv16w32 kernel's: the same stages, then the block's 16-bit Q [128][hd + 8].
__host__ __device__ constexpr int mma_kv16w32_smem_bytes(int hd) { return mma_kv16_smem_bytes(hd) + MMA_BQ * (hd + 8) * 2; }
constexpr int W32_THREADS = 128;  // kv16w32: 4 warps of two m16 tiles

// Two floats rounded into one 32-bit register of 16-bit values, lo in the low half (the lower k).
template <typename T> __device__ __forceinline__ unsigned pack2(float lo, float hi);
template <> __device__ __forceinline__ unsigned pack2<__nv_bfloat16>(float lo, float hi) {
    const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<const unsigned*>(&v);
}
template <> __device__ __forceinline__ unsigned pack2<__half>(float lo, float hi) {
    const __half2 v = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<const unsigned*>(&v);
}

// d[4] += A[16x16] · B[16x8] (A row-major 4 regs, B col-major 2 regs, F32 accumulators).
template <typename T> __device__ __forceinline__ void mma16816(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1);
// Four 8x8 16-bit matrices from shared memory: lanes 8i..8i+7 give the row addresses of matrix i;
// lane l receives, in r[i], matrix i's elements (row l / 4, columns 2(l % 4), 2(l % 4) + 1), or
// with .trans (rows 2(l % 4), 2(l % 4) + 1, column l / 4). `a` is a shared-space address.
__device__ __forceinline__ void ldsm_x4(unsigned (&r)[4], unsigned a);
__device__ __forceinline__ void ldsm_x4_trans(unsigned (&r)[4], unsigned a);
#if defined(STRATA_HOST_EMULATION)
// host_emu.h's warp collectives with the same fragment layouts
template <typename T> __device__ __forceinline__ void mma16816(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    emu::mma_m16n8k16<T>(d, a, b0, b1);
}
__device__ __forceinline__ void ldsm_x4(unsigned (&r)[4], unsigned a) { emu::ldmatrix_x4(r, a, false); }
__device__ __forceinline__ void ldsm_x4_trans(unsigned (&r)[4], unsigned a) { emu::ldmatrix_x4(r, a, true); }
#else
template <> __device__ __forceinline__ void mma16816<__nv_bfloat16>(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
template <> __device__ __forceinline__ void mma16816<__half>(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ void ldsm_x4(unsigned (&r)[4], unsigned a) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(a) : "memory");
}
__device__ __forceinline__ void ldsm_x4_trans(unsigned (&r)[4], unsigned a) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(a) : "memory");
}
#endif

// Rows [kt, kt + MMA_BK) of K and V (HD elements each; source row strides kStride, vStride) into
// shared rows dStride elements apart, by cp.async of BYTES (16 or 4) each, THREADS threads taking
// turns; rows past kEnd are zero-filled (nothing read).
template <int HD, int BYTES, int THREADS, typename S>
__device__ __forceinline__ void copy_kv_tile(S* kd, S* vd, int dStride, const S* kg, int kStride, const S* vg, int vStride, int kt,
                                             int kEnd) {
    constexpr int E = BYTES / sizeof(S);  // elements per copy
#pragma unroll 1
    for (int idx = threadIdx.x; idx < MMA_BK * HD / E; idx += THREADS) {
        const int key = idx / (HD / E), c = (idx % (HD / E)) * E;
        const bool ok = kt + key < kEnd;
        if constexpr (BYTES == 16) {
            strata::cp_async16(kd + key * dStride + c, ok ? kg + (size_t)(kt + key) * kStride + c : kg, ok);
            strata::cp_async16(vd + key * dStride + c, ok ? vg + (size_t)(kt + key) * vStride + c : vg, ok);
        } else {
            strata::cp_async4(kd + key * dStride + c, ok ? kg + (size_t)(kt + key) * kStride + c : kg, ok);
            strata::cp_async4(vd + key * dStride + c, ok ? vg + (size_t)(kt + key) * vStride + c : vg, ok);
        }
    }
}

// KV16 = false: F32 K/V rows from the cache or the step (kb, vb with row strides rs, vrs) staged in
// kf / vf and rounded per tile into one K16 / V16 pair. KV16 = true: the rows were rounded once by
// kv_to16 into k16g / v16g ([batch][kvHeads][keysPerHead][HD]); cp.async copies them straight into
// two K16 / V16 stages, the next tile's while this one computes, and no rounding pass runs.
// WARPS warps of MT m16 tiles each cover the block's 128 rows: (8, 1), Q's fragments in registers;
// or (4, 2) (KV16 only), Q rounded once into shared memory [128][HD + 8] after the two stages and
// its fragments loaded by ldmatrix per k step, so each K / V fragment a warp loads from shared
// memory serves two m tiles (half the shared-memory reads per mma of (8, 1)). MASKED = false
// compiles the mask and bias out (callers pass neither): their per-score address arithmetic,
// hoisted out of the unrolled loops, costs ~65 registers a thread.
template <typename T, int HD, bool KV16, int MT = 1, int WARPS = MMA_THREADS / 32, bool MASKED = true>
__device__ __forceinline__ void attention_prefill_mma(
    const float* __restrict__ q, int qStride, const float* __restrict__ kb, int rs, const float* __restrict__ vb, int vrs,
    const T* __restrict__ k16g, const T* __restrict__ v16g, int cached, const int* __restrict__ past,
    const float* __restrict__ mask, int maskStride, int maskCols, const float* __restrict__ bias, int biasStride,
    int biasKeyCols, float* __restrict__ out, int outStride, int seqLen, int kvLen, int heads, float scale, int causal,
    bool vec, float* smem) {
    static_assert(MT * WARPS * 16 == MMA_BQ && (MT == 1 || KV16), "128 rows per block; two m tiles per warp need kv16");
    constexpr int THREADS = 32 * WARPS;
    constexpr int BS = HD + 8;       // row stride of K16 / V16 (16-bit elements)
    constexpr int KSTEPS = HD / 16;  // k steps of S = Q·Kᵀ
    constexpr int DT = HD / 8;       // n tiles of O
    constexpr int NT = MMA_BK / 8;   // n tiles of S
    constexpr int STAGE = 2 * MMA_BK * BS;  // 16-bit elements of one K16 + V16 pair
    float* kf = smem;                // [64][HD] F32 K rows of the tile (KV16 = false)
    float* vf = kf + MMA_BK * HD;    // [64][HD] F32 V rows
    T* k16 = KV16 ? reinterpret_cast<T*>(smem) : reinterpret_cast<T*>(vf + MMA_BK * HD);  // [64][BS], stage 0
    T* v16 = k16 + MMA_BK * BS;                       // [64][BS]

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
    const int q0 = (gridDim.x - 1 - blockIdx.x) * MMA_BQ, h = blockIdx.y, b = blockIdx.z;
    const int p0 = cached ? past[b] : 0;
    const int len = cached ? p0 + seqLen : kvLen;
    const int lastQ = min(q0 + MMA_BQ, seqLen) - 1;
    const int kEnd = causal ? min(len, p0 + lastQ + 1) : len;  // keys any row of the block sees
    const int tiles = (kEnd + MMA_BK - 1) / MMA_BK;

    // KV16: 16-bit K and V rows [kt, kt + 64) into stage `stage` by 16-byte cp.async (8 elements);
    // rows past kEnd are zero-filled.
    auto issue16 = [&](int kt, int stage) {
        T* ks = k16 + stage * STAGE;
        copy_kv_tile<HD, 16, THREADS>(ks, ks + MMA_BK * BS, BS, k16g, HD, v16g, HD, kt, kEnd);
    };
    // F32 K and V rows [kt, kt + 64) into kf / vf (16-byte copies where vec, else 4-byte); rows
    // past kEnd are zero-filled.
    auto issue = [&](int kt) {
        if (vec) copy_kv_tile<HD, 16, THREADS>(kf, vf, HD, kb, rs, vb, vrs, kt, kEnd);
        else copy_kv_tile<HD, 4, THREADS>(kf, vf, HD, kb, rs, vb, vrs, kt, kEnd);
    };
    if (tiles > 0) {
        if constexpr (KV16) issue16(0, 0);
        else issue(0);
    }
    strata::cp_async_commit();

    // This warp's rows: m tile i holds rows r0[i] (lanes' g) and r1[i] = r0[i] + 8.
    int r0[MT], r1[MT];
#pragma unroll
    for (int i = 0; i < MT; i++) {
        r0[i] = q0 + (warp * MT + i) * 16 + g;
        r1[i] = r0[i] + 8;
    }
    // Q pre-scaled and rounded (rows past seqLen are zero): MT = 1 the A fragments of the warp's
    // rows in registers for the whole kernel; MT = 2 the block's 128 rows in shared memory.
    unsigned qa[MT == 1 ? KSTEPS : 1][4];
    unsigned qLane = 0;
    if constexpr (MT == 1) {
        const float* qr0 = q + (size_t)(b * seqLen + r0[0]) * qStride + (size_t)h * HD;
        const float* qr1 = q + (size_t)(b * seqLen + r1[0]) * qStride + (size_t)h * HD;
        const bool ok0 = r0[0] < seqLen, ok1 = r1[0] < seqLen;
#pragma unroll
        for (int s = 0; s < KSTEPS; s++) {
            const int c = 16 * s + 2 * t;
            qa[s][0] = ok0 ? pack2<T>(__ldg(qr0 + c) * scale, __ldg(qr0 + c + 1) * scale) : 0u;
            qa[s][1] = ok1 ? pack2<T>(__ldg(qr1 + c) * scale, __ldg(qr1 + c + 1) * scale) : 0u;
            qa[s][2] = ok0 ? pack2<T>(__ldg(qr0 + c + 8) * scale, __ldg(qr0 + c + 9) * scale) : 0u;
            qa[s][3] = ok1 ? pack2<T>(__ldg(qr1 + c + 8) * scale, __ldg(qr1 + c + 9) * scale) : 0u;
        }
    } else {
        T* q16 = k16 + 2 * STAGE;  // [128][BS] after the two K16 / V16 stages
        const float* qh = q + (size_t)b * seqLen * qStride + (size_t)h * HD;
        if (((reinterpret_cast<size_t>(qh) | (size_t)qStride * sizeof(float)) & 15) == 0) {
            // 16-byte loads, QV of them in flight per thread (a rolled loop of dependent 4-byte
            // loads held the block ~60 serial global-memory latencies before its first tile)
            constexpr int V4 = HD / 4, QV = 8, PER = MMA_BQ * V4 / THREADS;
            static_assert(PER % QV == 0, "whole rounds of QV loads per thread");
#pragma unroll 1
            for (int base = 0; base < PER; base += QV) {
                float4 qv[QV];
#pragma unroll
                for (int u = 0; u < QV; u++) {
                    const int idx = threadIdx.x + (base + u) * THREADS, r = q0 + idx / V4;
                    qv[u] = r < seqLen ? __ldg(reinterpret_cast<const float4*>(qh + (size_t)r * qStride + (idx % V4) * 4))
                                       : make_float4(0.f, 0.f, 0.f, 0.f);
                }
#pragma unroll
                for (int u = 0; u < QV; u++) {
                    const int idx = threadIdx.x + (base + u) * THREADS;
                    *reinterpret_cast<uint2*>(q16 + (idx / V4) * BS + (idx % V4) * 4) =
                        make_uint2(pack2<T>(qv[u].x * scale, qv[u].y * scale), pack2<T>(qv[u].z * scale, qv[u].w * scale));
                }
            }
        } else {
#pragma unroll 4
            for (int idx = threadIdx.x; idx < MMA_BQ * HD / 2; idx += THREADS) {
                const int row = idx / (HD / 2), c = (idx % (HD / 2)) * 2, r = q0 + row;
                const float* qr = qh + (size_t)r * qStride + c;
                *reinterpret_cast<unsigned*>(q16 + row * BS + c) = r < seqLen ? pack2<T>(__ldg(qr) * scale, __ldg(qr + 1) * scale) : 0u;
            }
        }
        // A fragments by ldmatrix.x4: lanes 0-15 give rows 0-15 at k 0, lanes 16-31 rows 0-15 at k 8
        // (the first tile's barrier orders these stores before the loads)
        qLane = (unsigned)__cvta_generic_to_shared(q16 + (warp * MT * 16 + (lane & 15)) * BS + (lane >> 4) * 8);
    }
    // Keys below limit0[i] / limit1[i] are visible to row r0[i] / r1[i].
    int limit0[MT], limit1[MT];
#pragma unroll
    for (int i = 0; i < MT; i++) {
        limit0[i] = causal ? min(kEnd, p0 + r0[i] + 1) : kEnd;
        limit1[i] = causal ? min(kEnd, p0 + r1[i] + 1) : kEnd;
    }
    // ldmatrix row addresses of this lane (shared space): K16 rows of n tiles, V16 rows of key steps
    const unsigned kLane = (unsigned)__cvta_generic_to_shared(k16 + ((lane >> 4) * 8 + (lane & 7)) * BS + ((lane >> 3) & 1) * 8);
    const unsigned vLane = (unsigned)__cvta_generic_to_shared(v16 + (((lane >> 3) & 1) * 8 + (lane & 7)) * BS + (lane >> 4) * 8);

    float o[MT][DT][4];
    float m0[MT], m1[MT], l0[MT], l1[MT];  // running max and (lane-partial) sum per row
#pragma unroll
    for (int i = 0; i < MT; i++) {
#pragma unroll
        for (int n = 0; n < DT; n++) o[i][n][0] = o[i][n][1] = o[i][n][2] = o[i][n][3] = 0.f;
        m0[i] = m1[i] = -INFINITY;
        l0[i] = l1[i] = 0.f;
    }

    for (int tile = 0; tile < tiles; tile++) {
        const int kt = tile * MMA_BK;
        unsigned kTile = kLane, vTile = vLane;  // this tile's K16 / V16 stage
        strata::cp_async_wait_all();
        if constexpr (KV16) {
            // The tile's rows are in place in stage tile % 2, and every warp is done with the
            // other stage (the previous tile), which the next tile's copy may now fill.
            __syncthreads();
            if (tile + 1 < tiles) issue16(kt + MMA_BK, (tile + 1) & 1);
            strata::cp_async_commit();
            kTile += (tile & 1) * STAGE * 2;
            vTile += (tile & 1) * STAGE * 2;
        } else {
            __syncthreads();  // the tile's F32 rows are in place; every warp is done with K16 / V16
#pragma unroll 1
            for (int idx = threadIdx.x; idx < MMA_BK * HD / 4; idx += THREADS) {
                const int key = idx / (HD / 4), c = (idx % (HD / 4)) * 4;
                const float4 a = *reinterpret_cast<const float4*>(kf + key * HD + c);
                const float4 w = *reinterpret_cast<const float4*>(vf + key * HD + c);
                *reinterpret_cast<uint2*>(k16 + key * BS + c) = make_uint2(pack2<T>(a.x, a.y), pack2<T>(a.z, a.w));
                *reinterpret_cast<uint2*>(v16 + key * BS + c) = make_uint2(pack2<T>(w.x, w.y), pack2<T>(w.z, w.w));
            }
            __syncthreads();  // K16 / V16 ready; the F32 stage is free for the next tile
            if (tile + 1 < tiles) issue(kt + MMA_BK);
            strata::cp_async_commit();
        }

        float s[MT][NT][4];
#pragma unroll
        for (int i = 0; i < MT; i++)
#pragma unroll
            for (int n = 0; n < NT; n++) s[i][n][0] = s[i][n][1] = s[i][n][2] = s[i][n][3] = 0.f;
        // MT = 1 indexes qa by st (unrolled); MT = 2 loads Q per st and keeps the loop rolled, which
        // keeps ptxas from hoisting every step's fragments (register spills)
        [[maybe_unused]] constexpr int ST_UNROLL = MT == 1 ? KSTEPS : 1;  // read by the pragma only
#pragma unroll ST_UNROLL
        for (int st = 0; st < KSTEPS; st++) {
            unsigned qf[MT][4];
#pragma unroll
            for (int i = 0; i < MT; i++) {
                if constexpr (MT == 1) {
#pragma unroll
                    for (int e = 0; e < 4; e++) qf[i][e] = qa[st][e];
                } else {
                    ldsm_x4(qf[i], qLane + (i * 16 * BS + 16 * st) * 2);
                }
            }
#pragma unroll
            for (int np = 0; np < NT / 2; np++) {
                unsigned kfrag[4];
                ldsm_x4(kfrag, kTile + ((np * 16) * BS + 16 * st) * 2);
#pragma unroll
                for (int i = 0; i < MT; i++) {
                    mma16816<T>(s[i][2 * np], qf[i], kfrag[0], kfrag[1]);
                    mma16816<T>(s[i][2 * np + 1], qf[i], kfrag[2], kfrag[3]);
                }
            }
        }

        // Mask, bias, causal limit; online softmax of m tile i's rows r0 (s[i][.][0..1]) and r1 (s[i][.][2..3]).
#pragma unroll
        for (int i = 0; i < MT; i++) {
            float mx0 = -INFINITY, mx1 = -INFINITY;
            {
#pragma unroll
                for (int n = 0; n < NT; n++) {
#pragma unroll
                    for (int e = 0; e < 4; e++) {
                        const int key = kt + n * 8 + 2 * t + (e & 1);
                        const int row = e < 2 ? r0[i] : r1[i];
                        float x = s[i][n][e];
                        if constexpr (MASKED) {
                            if (mask != nullptr && key < maskCols) x += __ldg(mask + (size_t)b * maskStride + key);
                            if (bias != nullptr && key < biasKeyCols && row < seqLen)
                                x += __ldg(bias + ((size_t)(b * seqLen + row) * biasKeyCols + key) * biasStride + h);
                        }
                        s[i][n][e] = key < (e < 2 ? limit0[i] : limit1[i]) ? x : -INFINITY;
                    }
                }
            }
#pragma unroll
            for (int n = 0; n < NT; n++) {
                mx0 = fmaxf(mx0, fmaxf(s[i][n][0], s[i][n][1]));
                mx1 = fmaxf(mx1, fmaxf(s[i][n][2], s[i][n][3]));
            }
            mx0 = fmaxf(mx0, __shfl_xor_sync(strata::FULL_MASK, mx0, 1));
            mx0 = fmaxf(mx0, __shfl_xor_sync(strata::FULL_MASK, mx0, 2));
            mx1 = fmaxf(mx1, __shfl_xor_sync(strata::FULL_MASK, mx1, 1));
            mx1 = fmaxf(mx1, __shfl_xor_sync(strata::FULL_MASK, mx1, 2));
            const float n0 = fmaxf(m0[i], mx0), n1 = fmaxf(m1[i], mx1);
            const float u0 = n0 == -INFINITY ? 0.f : n0 * LOG2E, u1 = n1 == -INFINITY ? 0.f : n1 * LOG2E;
            const float c0 = exp2f(m0[i] * LOG2E - u0), c1 = exp2f(m1[i] * LOG2E - u1);  // exp2(-inf) = 0 on the first tile
            m0[i] = n0;
            m1[i] = n1;
            float ps0 = 0.f, ps1 = 0.f;
#pragma unroll
            for (int n = 0; n < NT; n++) {
                s[i][n][0] = exp2f(fmaf(s[i][n][0], LOG2E, -u0));
                s[i][n][1] = exp2f(fmaf(s[i][n][1], LOG2E, -u0));
                s[i][n][2] = exp2f(fmaf(s[i][n][2], LOG2E, -u1));
                s[i][n][3] = exp2f(fmaf(s[i][n][3], LOG2E, -u1));
                ps0 += s[i][n][0] + s[i][n][1];
                ps1 += s[i][n][2] + s[i][n][3];
            }
            l0[i] = l0[i] * c0 + ps0;
            l1[i] = l1[i] * c1 + ps1;
            if (c0 != 1.f) {
#pragma unroll
                for (int n = 0; n < DT; n++) {
                    o[i][n][0] *= c0;
                    o[i][n][1] *= c0;
                }
            }
            if (c1 != 1.f) {
#pragma unroll
                for (int n = 0; n < DT; n++) {
                    o[i][n][2] *= c1;
                    o[i][n][3] *= c1;
                }
            }
        }

        // O += P·V over the tile's 4 key steps of 16.
#pragma unroll
        for (int j = 0; j < MMA_BK / 16; j++) {
            unsigned pa[MT][4];
#pragma unroll
            for (int i = 0; i < MT; i++) {
                pa[i][0] = pack2<T>(s[i][2 * j][0], s[i][2 * j][1]);
                pa[i][1] = pack2<T>(s[i][2 * j][2], s[i][2 * j][3]);
                pa[i][2] = pack2<T>(s[i][2 * j + 1][0], s[i][2 * j + 1][1]);
                pa[i][3] = pack2<T>(s[i][2 * j + 1][2], s[i][2 * j + 1][3]);
            }
#pragma unroll
            for (int dp = 0; dp < DT / 2; dp++) {
                unsigned vfrag[4];
                ldsm_x4_trans(vfrag, vTile + ((16 * j) * BS + dp * 16) * 2);
#pragma unroll
                for (int i = 0; i < MT; i++) {
                    mma16816<T>(o[i][2 * dp], pa[i], vfrag[0], vfrag[1]);
                    mma16816<T>(o[i][2 * dp + 1], pa[i], vfrag[2], vfrag[3]);
                }
            }
        }
    }

#pragma unroll
    for (int i = 0; i < MT; i++) {
        float L0 = l0[i], L1 = l1[i];
        L0 += __shfl_xor_sync(strata::FULL_MASK, L0, 1);
        L0 += __shfl_xor_sync(strata::FULL_MASK, L0, 2);
        L1 += __shfl_xor_sync(strata::FULL_MASK, L1, 1);
        L1 += __shfl_xor_sync(strata::FULL_MASK, L1, 2);
        const float i0 = L0 > 0.f ? 1.f / L0 : 0.f, i1 = L1 > 0.f ? 1.f / L1 : 0.f;
        float* d0 = out + (size_t)(b * seqLen + r0[i]) * outStride + (size_t)h * HD + 2 * t;
        float* d1 = out + (size_t)(b * seqLen + r1[i]) * outStride + (size_t)h * HD + 2 * t;
#pragma unroll
        for (int n = 0; n < DT; n++) {
            if (r0[i] < seqLen) {
                d0[n * 8] = o[i][n][0] * i0;
                d0[n * 8 + 1] = o[i][n][1] * i0;
            }
            if (r1[i] < seqLen) {
                d1[n * 8] = o[i][n][2] * i1;
                d1[n * 8 + 1] = o[i][n][3] * i1;
            }
        }
    }
}

template <typename T, int HD>
__device__ __forceinline__ void attention_prefill_mma_entry(
    const float* q, int qStride, const float* k, int kStride, const float* v, int vStride, const float* kCache,
    const float* vCache, int capacity, int cached, const int* past, const int* slots, const float* mask,
    int maskStride, int maskCols, const float* bias, int biasStride, int biasKeyCols, float* out, int outStride,
    int seqLen, int kvLen, int heads, int kvHeads, int headDim, float scale, int causal) {
    STRATA_DYNAMIC_SHARED(float4, smem4);
    if (headDim != HD || blockDim.x != MMA_THREADS || strata::dynamic_smem_bytes() < (unsigned)mma_smem_bytes(HD)) __trap();
    const bool vec = (cached ? strata::aligned16(kCache) && strata::aligned16(vCache)
                             : kStride % 4 == 0 && vStride % 4 == 0 && strata::aligned16(k) && strata::aligned16(v));
    const int b = blockIdx.z, kvh = blockIdx.y / (heads / kvHeads);
    const strata::SequenceKeys keys = strata::sequence_keys(k, kStride, v, vStride, kCache, vCache, capacity, cached, slots, b, kvLen,
                                                            kvHeads, kvh, HD);
    attention_prefill_mma<T, HD, false>(q, qStride, keys.k, keys.kStride, keys.v, keys.vStride, nullptr, nullptr, cached, past, mask,
                                        maskStride, maskCols, bias, biasStride, biasKeyCols, out, outStride, seqLen, kvLen, heads,
                                        scale, causal, vec, reinterpret_cast<float*>(smem4));
}

// KV16 entries: W32 = false the 8-warp kernel (attention_prefill_mma_kv16_*, or with MASKED =
// false attention_prefill_mma_kv16nm_*), true the 4-warp one with two m tiles per warp
// (attention_prefill_mma_kv16w32_*, never masked). Unmasked kernels trap on a mask or bias.
template <typename T, int HD, bool W32, bool MASKED = !W32>
__device__ __forceinline__ void attention_prefill_mma_kv16_entry(
    const float* q, int qStride, const T* k16, const T* v16, int keysPerHead, int cached, const int* past, const float* mask,
    int maskStride, int maskCols, const float* bias, int biasStride, int biasKeyCols, float* out, int outStride, int seqLen,
    int kvLen, int heads, int kvHeads, int headDim, float scale, int causal) {
    STRATA_DYNAMIC_SHARED(float4, smem4);
    if (headDim != HD || blockDim.x != (W32 ? W32_THREADS : MMA_THREADS) ||
        strata::dynamic_smem_bytes() < (unsigned)(W32 ? mma_kv16w32_smem_bytes(HD) : mma_kv16_smem_bytes(HD)) ||
        !strata::aligned16(k16) || !strata::aligned16(v16))
        __trap();
    const int b = blockIdx.z, kvh = blockIdx.y / (heads / kvHeads);
    const size_t base = ((size_t)b * kvHeads + kvh) * keysPerHead * HD;
    if (!MASKED && (mask != nullptr || bias != nullptr)) __trap();  // AttentionCuda picks kv16 then
    attention_prefill_mma<T, HD, true, W32 ? 2 : 1, W32 ? W32_THREADS / 32 : MMA_THREADS / 32, MASKED>(
        q, qStride, nullptr, 0, nullptr, 0, k16 + base, v16 + base, cached, past, mask, maskStride, maskCols, bias, biasStride,
        biasKeyCols, out, outStride, seqLen, kvLen, heads, scale, causal, true, reinterpret_cast<float*>(smem4));
}

// kv_to16: the keys and values attention_prefill_mma_kv16 reads, rounded once per layer. Block
// (x, kvh, b) rounds keys [32x, 32x + 32) of sequence b, KV head kvh (the cache slot's rows
// when cached, else the step's k/v rows; keys at or past the sequence's length are skipped) into
// k16 / v16 [batch][kvHeads][keysPerHead][headDim]. Launch: grid (ceil(keysPerHead / 32), kvHeads,
// batch), block 256; headDim a multiple of 4.
template <typename T>
__device__ __forceinline__ void kv_to16(const float* k, int kStride, const float* v, int vStride, const float* kCache,
                                        const float* vCache, int capacity, int cached, const int* past, const int* slots, T* k16,
                                        T* v16, int keysPerHead, int seqLen, int kvLen, int kvHeads, int headDim) {
    constexpr int KEYS = 32;
    const int b = blockIdx.z, kvh = blockIdx.y, key0 = blockIdx.x * KEYS;
    const int len = min(cached ? past[b] + seqLen : kvLen, keysPerHead);
    const strata::SequenceKeys keys = strata::sequence_keys(k, kStride, v, vStride, kCache, vCache, capacity, cached, slots, b, kvLen,
                                                            kvHeads, kvh, headDim);
    const size_t base = ((size_t)b * kvHeads + kvh) * keysPerHead * headDim;
    const int quads = headDim / 4;
    for (int idx = threadIdx.x; idx < KEYS * quads; idx += blockDim.x) {
        const int key = key0 + idx / quads, c = (idx % quads) * 4;
        if (key >= len) continue;
        const float* kr = keys.k + (size_t)key * keys.kStride + c;
        const float* vr = keys.v + (size_t)key * keys.vStride + c;
        const size_t d = base + (size_t)key * headDim + c;
        *reinterpret_cast<uint2*>(k16 + d) = make_uint2(pack2<T>(kr[0], kr[1]), pack2<T>(kr[2], kr[3]));
        *reinterpret_cast<uint2*>(v16 + d) = make_uint2(pack2<T>(vr[0], vr[1]), pack2<T>(vr[2], vr[3]));
    }
}

}  // namespace

// One entry per 16-bit type and head size (one instantiation each keeps every variant within 255
// registers without spills).
#define STRATA_MMA_ENTRY(NAME, T, HD)                                                                                  \
    extern "C" __global__ void __launch_bounds__(MMA_THREADS, 1) NAME(                                                \
        const float* q, int qStride, const float* k, int kStride, const float* v, int vStride, const float* kCache,   \
        const float* vCache, int capacity, int cached, const int* past, const int* slots, const float* mask,          \
        int maskStride, int maskCols, const float* bias, int biasStride, int biasKeyCols, float* out, int outStride,  \
        int seqLen, int kvLen, int heads, int kvHeads, int headDim, float scale, int causal) { strata::pdl_entry();   \
        attention_prefill_mma_entry<T, HD>(q, qStride, k, kStride, v, vStride, kCache, vCache, capacity, cached, past, \
                                           slots, mask, maskStride, maskCols, bias, biasStride, biasKeyCols, out,      \
                                           outStride, seqLen, kvLen, heads, kvHeads, headDim, scale, causal);          \
    }
STRATA_MMA_ENTRY(attention_prefill_mma_bf16_d64, __nv_bfloat16, 64)
STRATA_MMA_ENTRY(attention_prefill_mma_bf16_d128, __nv_bfloat16, 128)
STRATA_MMA_ENTRY(attention_prefill_mma_f16_d64, __half, 64)
STRATA_MMA_ENTRY(attention_prefill_mma_f16_d128, __half, 128)
#undef STRATA_MMA_ENTRY

#define STRATA_MMA_KV16_ENTRY(NAME, T, HD, W32, MASKED, THREADS, MIN_BLOCKS)                                         \
    extern "C" __global__ void __launch_bounds__(THREADS, MIN_BLOCKS) NAME(                                           \
        const float* q, int qStride, const T* k16, const T* v16, int keysPerHead, int cached, const int* past,        \
        const float* mask, int maskStride, int maskCols, const float* bias, int biasStride, int biasKeyCols,          \
        float* out, int outStride, int seqLen, int kvLen, int heads, int kvHeads, int headDim, float scale,            \
        int causal) {                                                                                                  \
        strata::pdl_entry();                                                                                           \
        attention_prefill_mma_kv16_entry<T, HD, W32, MASKED>(q, qStride, k16, v16, keysPerHead, cached, past, mask,    \
                                                maskStride,                                                            \
                                                maskCols, bias, biasStride, biasKeyCols, out, outStride, seqLen, kvLen, \
                                                heads, kvHeads, headDim, scale, causal);                                \
    }
STRATA_MMA_KV16_ENTRY(attention_prefill_mma_kv16_bf16_d64, __nv_bfloat16, 64, false, true, MMA_THREADS, 1)
STRATA_MMA_KV16_ENTRY(attention_prefill_mma_kv16_bf16_d128, __nv_bfloat16, 128, false, true, MMA_THREADS, 1)
STRATA_MMA_KV16_ENTRY(attention_prefill_mma_kv16_f16_d64, __half, 64, false, true, MMA_THREADS, 1)
STRATA_MMA_KV16_ENTRY(attention_prefill_mma_kv16_f16_d128, __half, 128, false, true, MMA_THREADS, 1)
// head dim 64 unmasked: two 256-thread blocks per SM (at most 128 registers; 125 without spills on
// sm_90, where the single-block bound let it take 137 and one block per SM)
STRATA_MMA_KV16_ENTRY(attention_prefill_mma_kv16nm_bf16_d64, __nv_bfloat16, 64, false, false, MMA_THREADS, 2)
STRATA_MMA_KV16_ENTRY(attention_prefill_mma_kv16nm_bf16_d128, __nv_bfloat16, 128, false, false, MMA_THREADS, 1)
STRATA_MMA_KV16_ENTRY(attention_prefill_mma_kv16nm_f16_d64, __half, 64, false, false, MMA_THREADS, 2)
STRATA_MMA_KV16_ENTRY(attention_prefill_mma_kv16nm_f16_d128, __half, 128, false, false, MMA_THREADS, 1)
// two 128-thread blocks per SM: at most 255 registers a thread
STRATA_MMA_KV16_ENTRY(attention_prefill_mma_kv16w32_bf16_d64, __nv_bfloat16, 64, true, false, W32_THREADS, 2)
STRATA_MMA_KV16_ENTRY(attention_prefill_mma_kv16w32_bf16_d128, __nv_bfloat16, 128, true, false, W32_THREADS, 2)
STRATA_MMA_KV16_ENTRY(attention_prefill_mma_kv16w32_f16_d64, __half, 64, true, false, W32_THREADS, 2)
STRATA_MMA_KV16_ENTRY(attention_prefill_mma_kv16w32_f16_d128, __half, 128, true, false, W32_THREADS, 2)
#undef STRATA_MMA_KV16_ENTRY

#define STRATA_KV_TO16(NAME, T)                                                                                        \
    extern "C" __global__ void NAME(const float* k, int kStride, const float* v, int vStride, const float* kCache,     \
                                    const float* vCache, int capacity, int cached, const int* past, const int* slots,  \
                                    T* k16, T* v16, int keysPerHead, int seqLen, int kvLen, int kvHeads,               \
                                    int headDim) {                                                                     \
        strata::pdl_entry();                                                                                           \
        if (headDim % 4 != 0) __trap();                                                                                \
        kv_to16<T>(k, kStride, v, vStride, kCache, vCache, capacity, cached, past, slots, k16, v16, keysPerHead,       \
                   seqLen, kvLen, kvHeads, headDim);                                                                   \
    }
STRATA_KV_TO16(kv_to16_bf16, __nv_bfloat16)
STRATA_KV_TO16(kv_to16_f16, __half)
#undef STRATA_KV_TO16

// Host-side formula for the launcher (AttentionCuda.mmaSharedBytes): 512·HD + 256·(HD + 8).
static_assert(mma_smem_bytes(64) == 51200, "mma smem formula");
static_assert(mma_smem_bytes(128) == 100352, "mma smem formula");
// AttentionCuda.mmaKv16SharedBytes: 512·(HD + 8).
static_assert(mma_kv16_smem_bytes(64) == 36864, "mma kv16 smem formula");
static_assert(mma_kv16_smem_bytes(128) == 69632, "mma kv16 smem formula");
