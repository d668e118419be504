// Shared device helpers for the Strata CUDA kernels: dtype loads (F32 / BF16 / F16 weights,
// always widened to float), 16-byte vector loads, warp and block reductions, alignment checks,
// and the programmatic-dependent-launch entry every kernel starts with.
// Header-only; every .cu file includes it. Reductions assume blockDim.x is a multiple of 32
// and at most 1024.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

namespace strata {

constexpr unsigned FULL_MASK = 0xffffffffu;

// ---- scalar loads, widened to float (read-only path) ----
__device__ __forceinline__ float load(const float* p) { return __ldg(p); }
__device__ __forceinline__ float load(const __nv_bfloat16* p) { return __bfloat162float(__ldg(p)); }
__device__ __forceinline__ float load(const __half* p) { return __half2float(__ldg(p)); }

// ---- 16-byte vector loads: Vec16<W>::N elements of W widened into out[0..N) ----
template <typename W> struct Vec16;

template <> struct Vec16<float> {
    static constexpr int N = 4;
    __device__ __forceinline__ static void load(const float* p, float* out) {
        const float4 v = __ldg(reinterpret_cast<const float4*>(p));
        out[0] = v.x; out[1] = v.y; out[2] = v.z; out[3] = v.w;
    }
};

template <> struct Vec16<__nv_bfloat16> {
    static constexpr int N = 8;
    __device__ __forceinline__ static void load(const __nv_bfloat16* p, float* out) {
        const uint4 u = __ldg(reinterpret_cast<const uint4*>(p));
        const unsigned w[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
        for (int i = 0; i < 4; i++) {
            __nv_bfloat162 h;
            *reinterpret_cast<unsigned*>(&h) = w[i];
            const float2 f = __bfloat1622float2(h);
            out[2 * i] = f.x;
            out[2 * i + 1] = f.y;
        }
    }
};

template <> struct Vec16<__half> {
    static constexpr int N = 8;
    __device__ __forceinline__ static void load(const __half* p, float* out) {
        const uint4 u = __ldg(reinterpret_cast<const uint4*>(p));
        const unsigned w[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
        for (int i = 0; i < 4; i++) {
            __half2 h;
            *reinterpret_cast<unsigned*>(&h) = w[i];
            const float2 f = __half22float2(h);
            out[2 * i] = f.x;
            out[2 * i + 1] = f.y;
        }
    }
};

__device__ __forceinline__ float4 load4(const float* p) { return __ldg(reinterpret_cast<const float4*>(p)); }

__device__ __forceinline__ bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

// ---- warp reductions (all 32 lanes must take part; every lane gets the result) ----
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL_MASK, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, o));
    return v;
}

// ---- block reductions: every thread of the block must call; every thread gets the result.
// `scratch` is 32 floats of shared memory; the trailing barrier lets the caller reuse it. ----
__device__ __forceinline__ float block_sum(float v, float* scratch) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = (blockDim.x + 31) >> 5;
    v = warp_sum(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float t = lane < nwarps ? scratch[lane] : 0.f;
    t = warp_sum(t);
    __syncthreads();
    return t;
}

__device__ __forceinline__ float block_max(float v, float* scratch) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = (blockDim.x + 31) >> 5;
    v = warp_max(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float t = lane < nwarps ? scratch[lane] : -INFINITY;
    t = warp_max(t);
    __syncthreads();
    return t;
}

// ---- argmax: (v, i) beats (bv, bi) with a larger value, then a smaller index; NaN never wins ----
__device__ __forceinline__ bool argmax_better(float v, int i, float bv, int bi) { return v > bv || (v == bv && i < bi); }

__device__ __forceinline__ void warp_argmax(float& v, int& i) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        const float ov = __shfl_xor_sync(FULL_MASK, v, o);
        const int oi = __shfl_xor_sync(FULL_MASK, i, o);
        if (argmax_better(ov, oi, v, i)) { v = ov; i = oi; }
    }
}

// Block argmax of every thread's (v, i); every thread gets the winning index (NO_INDEX if no
// thread had one) and, where value is given, its value in *value (-inf with NO_INDEX). sv, si: 32
// entries of shared memory each, reusable after the call.
constexpr int NO_INDEX = 0x7fffffff;
__device__ __forceinline__ int block_argmax(float v, int i, float* sv, int* si, float* value = nullptr) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = (blockDim.x + 31) >> 5;
    warp_argmax(v, i);
    if (lane == 0) { sv[warp] = v; si[warp] = i; }
    __syncthreads();
    v = lane < nwarps ? sv[lane] : -INFINITY;
    i = lane < nwarps ? si[lane] : NO_INDEX;
    warp_argmax(v, i);
    __syncthreads();
    if (value != nullptr) *value = v;
    return i;
}

// Row elements each thread has in flight per trip of a pass: a pass is a chain of dependent L2
// reads per warp otherwise (a 128,256-token row is 125 trips of a 1024-thread block).
constexpr int ROW_LOADS = 8;

// Calls f(l, c) for this thread's stripe of xr[0, cols) (c = threadIdx.x + j·blockDim.x, in order),
// after issuing ROW_LOADS reads at a time. With WHOLE, f is also called for c >= cols (l = 0) up to the
// trip's end, so every lane of a warp makes the same calls (for warp-synchronous f).
template <bool WHOLE, typename F>
__device__ __forceinline__ void for_row(const float* __restrict__ xr, int cols, F f) {
    for (int c0 = 0; c0 < cols; c0 += ROW_LOADS * blockDim.x) {
        float l[ROW_LOADS];
#pragma unroll
        for (int u = 0; u < ROW_LOADS; u++) {
            const int c = c0 + u * blockDim.x + threadIdx.x;
            l[u] = c < cols ? xr[c] : 0.f;
        }
#pragma unroll
        for (int u = 0; u < ROW_LOADS; u++) {
            const int c = c0 + u * blockDim.x + threadIdx.x;
            if (WHOLE || c < cols) f(l[u], c);
        }
    }
}

// This block's part [lo, hi) of a row of `cols` split over gridDim.y blocks: parts of ceil(cols /
// splits) columns in block order, the last ones shorter or empty.
__device__ __forceinline__ void split_part(int cols, int& lo, int& hi) {
    const int chunk = (cols + (int)gridDim.y - 1) / (int)gridDim.y;
    lo = min(cols, (int)blockIdx.y * chunk);
    hi = min(cols, lo + chunk);
}

// Merges a row argmax split over the blocks (row, 0..splits) of a launch: every thread of block
// (row, blockIdx.y) passes its part's winner (v, i) (i NO_INDEX where the part had none); thread 0
// publishes it in partV / partI[row·splits + blockIdx.y] and counts the block in counters[row]
// (zero before the launch). The row's last block to finish gets true and (v, i) of the whole row
// (the same winner a single scan finds: argmax_better is a total order on (value, index)) in every
// thread, and resets counters[row] to 0 for the next launch; every other block gets false.
__device__ __forceinline__ bool split_argmax_merge(float& v, int& i, float* partV, int* partI, int* counters, int row, int splits) {
    __shared__ int last;
    __shared__ float mergedV;
    __shared__ int mergedI;
    if (threadIdx.x == 0) {
        partV[(size_t)row * splits + blockIdx.y] = v;
        partI[(size_t)row * splits + blockIdx.y] = i;
        __threadfence();
        last = atomicAdd(counters + row, 1) == splits - 1;
    }
    __syncthreads();
    if (!last) return false;
    __threadfence();  // the reader's side of the parts' fences: the partials are read after the count
    if (threadIdx.x < 32) {
        float bv = -INFINITY;
        int bi = NO_INDEX;
        for (int s = threadIdx.x; s < splits; s += 32) {
            const float pv = __ldcg(partV + (size_t)row * splits + s);
            const int pi = __ldcg(partI + (size_t)row * splits + s);
            if (argmax_better(pv, pi, bv, bi)) { bv = pv; bi = pi; }
        }
        warp_argmax(bv, bi);
        if (threadIdx.x == 0) {
            mergedV = bv;
            mergedI = bi;
            counters[row] = 0;
        }
    }
    __syncthreads();
    v = mergedV;
    i = mergedI;
    return true;
}

// The argmax of row `row` (xr[0, cols)) when the row is split over gridDim.y blocks (one is fine):
// block (row, s) scans columns [s·chunk, (s+1)·chunk), chunk = ceil(cols / splits), ROW_LOADS reads
// in flight per thread, and split_argmax_merge joins the parts. Returns true, with the row's
// winner in i (NO_INDEX if it has no non-NaN value), in every thread of the row's last block (the
// only block of an unsplit row); false in the others. sv, si: 32 shared entries each.
__device__ __forceinline__ bool row_argmax(const float* __restrict__ xr, int cols, float* sv, int* si, float* partV, int* partI,
                                           int* counters, int row, int& i) {
    const int splits = gridDim.y;
    int lo, hi;
    split_part(cols, lo, hi);
    float v = -INFINITY;
    i = NO_INDEX;
    for_row<false>(xr + lo, hi - lo, [&](float l, int c) {
        if (argmax_better(l, lo + c, v, i)) { v = l; i = lo + c; }
    });
    i = block_argmax(v, i, sv, si, &v);
    if (splits == 1) return true;
    return split_argmax_merge(v, i, partV, partI, counters, row, splits);
}

// Activation codes shared with the launchers: 0 SILU, 1 GELU_ERF, 2 GELU_TANH, 3 RELU, 4 TANH.
// Float math with the precise libdevice functions (no fast-math); NaN propagates.
__device__ __forceinline__ float activation(float x, int act) {
    switch (act) {
        case 0: return x / (1.f + expf(-x));
        case 1: return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));
        case 2: return 0.5f * x * (1.f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
        case 4: return tanhf(x);
        default: return x < 0.f ? 0.f : x;
    }
}

// Grid-stride loop over a rows x cols index space: f(r, c) for every element. 32-bit index math
// (cheap division) whenever the space fits, 64-bit otherwise.
template <typename F>
__device__ __forceinline__ void grid_stride_2d(int rows, int cols, F f) {
    const long long total = (long long)rows * cols;
    if (total <= 0) return;
    if (total < (1ll << 31)) {
        const unsigned n = (unsigned)total, uc = (unsigned)cols, stride = gridDim.x * blockDim.x;
        for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) f((int)(i / uc), (int)(i % uc));
    } else {
        const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
        for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < (unsigned long long)total; i += stride)
            f((int)(i / cols), (int)(i % cols));
    }
}

// ---- asynchronous global -> shared copies (sm_80+). With pred false the destination is
// zero-filled and nothing is read (src must still be a valid address expression). Under the host
// emulation a copy done at once, so commit and wait have nothing to do. ----
#if defined(STRATA_HOST_EMULATION)
__device__ __forceinline__ void host_copy(void* dst, const void* src, int bytes, bool pred) {
    for (int i = 0; i < bytes; i++) static_cast<char*>(dst)[i] = pred ? static_cast<const char*>(src)[i] : 0;
}
__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool pred) { host_copy(dst, src, 16, pred); }
__device__ __forceinline__ void cp_async4(void* dst, const void* src, bool pred) { host_copy(dst, src, 4, pred); }
__device__ __forceinline__ void cp_async_commit() {}
__device__ __forceinline__ void cp_async_wait_all() {}
#else
__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool pred) {
    const unsigned d = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(src), "r"(pred ? 16 : 0) : "memory");
}
__device__ __forceinline__ void cp_async4(void* dst, const void* src, bool pred) {
    const unsigned d = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(d), "l"(src), "r"(pred ? 4 : 0) : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
__device__ __forceinline__ void cp_async_wait_all() { asm volatile("cp.async.wait_all;\n" ::: "memory"); }
#endif

// Bytes of dynamic shared memory the launch provided (for kernels that check their launch), and
// the block's dynamic shared memory as T (16-byte aligned): STRATA_DYNAMIC_SHARED(T, name)
// declares `name`, T's array there. The host emulation provides both (host_emu.h).
#if defined(STRATA_HOST_EMULATION)
__device__ __forceinline__ unsigned dynamic_smem_bytes() { return emu::dynamic_smem_bytes(); }
#define STRATA_DYNAMIC_SHARED(T, name) T* name = static_cast<T*>(emu::dynamic_smem())
#else
__device__ __forceinline__ unsigned dynamic_smem_bytes() {
    unsigned r;
    asm volatile("mov.u32 %0, %%dynamic_smem_size;" : "=r"(r));
    return r;
}
#define STRATA_DYNAMIC_SHARED(T, name) extern __shared__ T name[]
#endif

// ---- attention: where a sequence's keys and values are ----
// Keys and values of sequence b for KV head kvh: its KV-cache slot's rows (cached; rows `width` =
// kvHeads · headDim apart) or its kvLen rows of the step's k and v (their own row strides).
struct SequenceKeys {
    const float* k;
    const float* v;
    int kStride;
    int vStride;
};

__device__ __forceinline__ SequenceKeys sequence_keys(const float* k, int kStride, const float* v, int vStride, const float* kCache,
                                                      const float* vCache, int capacity, bool cached, const int* slots, int b,
                                                      int kvLen, int kvHeads, int kvh, int headDim) {
    if (cached) {
        const int width = kvHeads * headDim;
        const size_t base = (size_t)slots[b] * capacity * width + (size_t)kvh * headDim;
        return {kCache + base, vCache + base, width, width};
    }
    return {k + (size_t)b * kvLen * kStride + (size_t)kvh * headDim, v + (size_t)b * kvLen * vStride + (size_t)kvh * headDim, kStride, vStride};
}

// ---- programmatic dependent launch (sm_90+; CudaDevice under strata.cuda.pdl=on) ----
// A kernel launched with programmatic stream serialization may start while the previous kernel in
// the stream still runs. Every kernel calls pdl_entry() before it reads or writes memory another
// kernel touches: it waits until the previous grid has completed and its writes are visible, then
// lets the next kernel launch (its blocks take free SM slots and wait there, so its launch latency
// and weight prefetch overlap this kernel's tail). Without the launch attribute both instructions
// return at once; below sm_90 they compile to nothing. Only weights, which no kernel writes, may be
// read (prefetched) before it.
__device__ __forceinline__ void pdl_entry() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// Hints that the 128-byte line at p be brought into L2 (a weight, before pdl_entry). Nothing under
// the host emulation.
__device__ __forceinline__ void prefetch_l2(const void* p) {
#if defined(STRATA_HOST_EMULATION)
    (void)p;
#else
    asm volatile("prefetch.global.L2 [%0];" ::"l"(p));
#endif
}

}  // namespace strata
