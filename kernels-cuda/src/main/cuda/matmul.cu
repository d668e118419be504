// Matrix-vector products for decode (m <= 8 activation rows) and their helpers.
//
// gemv_out_in_{f32,bf16,f16}: out[i, j] = sum_k x[i, k] * W[j, k] (+ bias[j]); W is [n, k]
//   row-major (torch Linear). One warp per output column j: the warp streams W's row j with
//   16-byte loads (float4 for F32, 8 x bf16/f16 as uint4), several loads in flight per lane,
//   and every one of the m x rows (read through the read-only cache, reused by all warps) is
//   multiplied against each loaded W vector, so W is read exactly once for all m rows.
//   Vector path when W, x are 16-byte aligned and wStride, xStride keep every row aligned;
//   a scalar tail covers k not a multiple of the vector width; otherwise fully scalar.
//   Launch: block 256 (8 warps = 8 columns), grid ceil(n / 8); any grid is correct (warps
//   stride over columns). m > 8 is processed in chunks of 8 rows (correct, not tuned).
// gemv_out_in_split_{f32,bf16,f16}: the same product plus an int `cols` (1, 2, 4 or 8): a block
//   of exactly 256 threads serves `cols` columns, the 8 / cols warps of each splitting its row
//   (split-K); partial sums meet in shared memory. For small n, where one warp per column leaves
//   SMs idle. Grid ceil(n / cols) (any grid is correct: blocks stride over column groups).
// gemv_in_out_{f32,bf16,f16}: same, W is [k, n] row-major (GPT-2 Conv1D). Each lane owns a
//   column j (coalesced along n), the 8 warps of a block split k (warp w sums k = w, w+8, ...),
//   and partial sums meet in shared memory. Launch: block 256, grid ceil(n / 32) recommended
//   (any grid is correct: blocks stride over groups of 32 columns).
// cast_f32_to_{bf16,f16}: y[i, c] = round-to-nearest-even(x[i, c]) into a dense [m, k] buffer
//   (feeds cuBLAS GEMMs with 16-bit inputs). Any grid (grid-stride over m*k).
// add_bias_{f32,bf16,f16}: out[i, j] += bias[j] after a cuBLAS GEMM. Any grid (grid-stride).
//
// All accumulate in float; bias may be null.
#include "strata_cuda.cuh"

namespace {

constexpr int MAX_M = 8;

// Dot products of W row `w` (k elements) with m = M rows of x over this warp's part of the row
// (16-byte vectors part, part + parts, ... in groups of 32; parts = 1: the whole row); lane
// 0..M-1 writes row `lane`'s sum + bias to out[lane * outStride].
template <typename W, int M>
__device__ __forceinline__ void gemv_out_in_column(const float* __restrict__ x, int xStride, const W* __restrict__ w,
                                                   int k, bool vec, float bias, float* out, int outStride,
                                                   int part = 0, int parts = 1) {
    using V = strata::Vec16<W>;
    constexpr int N = V::N;             // W elements per 16-byte load
    constexpr int U = M <= 2 ? 4 : 2;   // 16-byte W loads in flight per lane
    const int lane = threadIdx.x & 31;
    float acc[M];
#pragma unroll
    for (int r = 0; r < M; r++) acc[r] = 0.f;

    const int kv = vec ? k / N : 0;  // number of 16-byte W vectors in the row
    const int step = 32 * parts;
    int c = lane + 32 * part;
    for (; c + step * (U - 1) < kv; c += step * U) {
        float wv[U][N];
#pragma unroll
        for (int u = 0; u < U; u++) V::load(w + (size_t)(c + step * u) * N, wv[u]);
#pragma unroll
        for (int u = 0; u < U; u++) {
#pragma unroll
            for (int r = 0; r < M; r++) {
                const float* xp = x + (size_t)r * xStride + (size_t)(c + step * u) * N;
#pragma unroll
                for (int q = 0; q < N / 4; q++) {
                    const float4 xv = strata::load4(xp + 4 * q);
                    acc[r] = fmaf(xv.x, wv[u][4 * q], acc[r]);
                    acc[r] = fmaf(xv.y, wv[u][4 * q + 1], acc[r]);
                    acc[r] = fmaf(xv.z, wv[u][4 * q + 2], acc[r]);
                    acc[r] = fmaf(xv.w, wv[u][4 * q + 3], acc[r]);
                }
            }
        }
    }
    for (; c < kv; c += step) {
        float wv[N];
        V::load(w + (size_t)c * N, wv);
#pragma unroll
        for (int r = 0; r < M; r++) {
            const float* xp = x + (size_t)r * xStride + (size_t)c * N;
#pragma unroll
            for (int q = 0; q < N / 4; q++) {
                const float4 xv = strata::load4(xp + 4 * q);
                acc[r] = fmaf(xv.x, wv[4 * q], acc[r]);
                acc[r] = fmaf(xv.y, wv[4 * q + 1], acc[r]);
                acc[r] = fmaf(xv.z, wv[4 * q + 2], acc[r]);
                acc[r] = fmaf(xv.w, wv[4 * q + 3], acc[r]);
            }
        }
    }
    // Scalar tail (everything when !vec).
#pragma unroll 4
    for (int kk = kv * N + lane + 32 * part; kk < k; kk += step) {
        const float wk = strata::load(w + kk);
#pragma unroll
        for (int r = 0; r < M; r++) acc[r] = fmaf(__ldg(x + (size_t)r * xStride + kk), wk, acc[r]);
    }
#pragma unroll
    for (int r = 0; r < M; r++) {
        const float s = strata::warp_sum(acc[r]);
        if (lane == r) out[(size_t)r * outStride] = s + bias;
    }
}

template <typename W>
__device__ __forceinline__ void gemv_out_in(const float* __restrict__ x, int xStride, const W* __restrict__ w,
                                            int wStride, const W* __restrict__ bias, float* __restrict__ out,
                                            int outStride, int m, int n, int k) {
    constexpr int N = strata::Vec16<W>::N;
    const bool vec = strata::aligned16(w) && wStride % N == 0 && strata::aligned16(x) && xStride % 4 == 0;
    const int warpsPerBlock = blockDim.x >> 5;
    for (int j = blockIdx.x * warpsPerBlock + (threadIdx.x >> 5); j < n; j += gridDim.x * warpsPerBlock) {
        const W* wr = w + (size_t)j * wStride;
        const float b = bias ? strata::load(bias + j) : 0.f;
        for (int r0 = 0; r0 < m; r0 += MAX_M) {
            const float* xr = x + (size_t)r0 * xStride;
            float* o = out + (size_t)r0 * outStride + j;
            switch (min(m - r0, MAX_M)) {
                case 1: gemv_out_in_column<W, 1>(xr, xStride, wr, k, vec, b, o, outStride); break;
                case 2: gemv_out_in_column<W, 2>(xr, xStride, wr, k, vec, b, o, outStride); break;
                case 3: gemv_out_in_column<W, 3>(xr, xStride, wr, k, vec, b, o, outStride); break;
                case 4: gemv_out_in_column<W, 4>(xr, xStride, wr, k, vec, b, o, outStride); break;
                case 5: gemv_out_in_column<W, 5>(xr, xStride, wr, k, vec, b, o, outStride); break;
                case 6: gemv_out_in_column<W, 6>(xr, xStride, wr, k, vec, b, o, outStride); break;
                case 7: gemv_out_in_column<W, 7>(xr, xStride, wr, k, vec, b, o, outStride); break;
                default: gemv_out_in_column<W, 8>(xr, xStride, wr, k, vec, b, o, outStride); break;
            }
        }
    }
}

// Split-K variant for small n: a block serves `cols` columns (1, 2, 4 or 8) and the
// 8 / cols warps of each column split its row; partial sums meet in shared memory. Used where
// the one-warp-per-column kernel would leave SMs idle (k/v projections: n = 512 → 64 blocks).
template <typename W>
__device__ __forceinline__ void gemv_out_in_split(const float* __restrict__ x, int xStride, const W* __restrict__ w,
                                                  int wStride, const W* __restrict__ bias, float* __restrict__ out,
                                                  int outStride, int m, int n, int k, int cols) {
    __shared__ float red[8 * MAX_M];
    constexpr int N = strata::Vec16<W>::N;
    const bool vec = strata::aligned16(w) && wStride % N == 0 && strata::aligned16(x) && xStride % 4 == 0;
    const int warp = threadIdx.x >> 5, parts = 8 / cols, col = warp / parts, part = warp % parts;
    for (int j0 = blockIdx.x * cols; j0 < n; j0 += gridDim.x * cols) {
        const int j = j0 + col;
        for (int r0 = 0; r0 < m; r0 += MAX_M) {
            const int mm = min(m - r0, MAX_M);
            if (j < n) {
                const W* wr = w + (size_t)j * wStride;
                const float* xr = x + (size_t)r0 * xStride;
                float* dst = red + warp * MAX_M;
                switch (mm) {
                    case 1: gemv_out_in_column<W, 1>(xr, xStride, wr, k, vec, 0.f, dst, 1, part, parts); break;
                    case 2: gemv_out_in_column<W, 2>(xr, xStride, wr, k, vec, 0.f, dst, 1, part, parts); break;
                    case 3: gemv_out_in_column<W, 3>(xr, xStride, wr, k, vec, 0.f, dst, 1, part, parts); break;
                    case 4: gemv_out_in_column<W, 4>(xr, xStride, wr, k, vec, 0.f, dst, 1, part, parts); break;
                    case 5: gemv_out_in_column<W, 5>(xr, xStride, wr, k, vec, 0.f, dst, 1, part, parts); break;
                    case 6: gemv_out_in_column<W, 6>(xr, xStride, wr, k, vec, 0.f, dst, 1, part, parts); break;
                    case 7: gemv_out_in_column<W, 7>(xr, xStride, wr, k, vec, 0.f, dst, 1, part, parts); break;
                    default: gemv_out_in_column<W, 8>(xr, xStride, wr, k, vec, 0.f, dst, 1, part, parts); break;
                }
            }
            __syncthreads();
            for (int t = threadIdx.x; t < cols * mm; t += blockDim.x) {
                const int c = t / mm, r = t % mm, jj = j0 + c;
                if (jj >= n) continue;
                float s = bias ? strata::load(bias + jj) : 0.f;
                for (int p = 0; p < parts; p++) s += red[(c * parts + p) * MAX_M + r];
                out[(size_t)(r0 + r) * outStride + jj] = s;
            }
            __syncthreads();
        }
    }
}

constexpr int IN_OUT_WARPS = 8;  // most warps of a gemv_in_out block that share the k range

// Column j = lane's column of this group; warp w of nw sums k = w, w + nw, ...; partials meet in
// `red`.
template <typename W, int M>
__device__ __forceinline__ void gemv_in_out_group(const float* __restrict__ x, int xStride, const W* __restrict__ w,
                                                  int wStride, int j, bool active, int k, int nw, float* red) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    float acc[M];
#pragma unroll
    for (int r = 0; r < M; r++) acc[r] = 0.f;
    if (active && warp < nw) {
        const W* wc = w + j;
        constexpr int U = 4;
        int kk = warp;
        for (; kk + nw * (U - 1) < k; kk += nw * U) {
            float wv[U];
#pragma unroll
            for (int u = 0; u < U; u++) wv[u] = strata::load(wc + (size_t)(kk + nw * u) * wStride);
#pragma unroll
            for (int u = 0; u < U; u++)
#pragma unroll
                for (int r = 0; r < M; r++)
                    acc[r] = fmaf(__ldg(x + (size_t)r * xStride + kk + nw * u), wv[u], acc[r]);
        }
        for (; kk < k; kk += nw) {
            const float wk = strata::load(wc + (size_t)kk * wStride);
#pragma unroll
            for (int r = 0; r < M; r++) acc[r] = fmaf(__ldg(x + (size_t)r * xStride + kk), wk, acc[r]);
        }
    }
    if (warp < nw)
#pragma unroll
        for (int r = 0; r < M; r++) red[(warp * MAX_M + r) * 32 + lane] = acc[r];
}

template <typename W>
__device__ __forceinline__ void gemv_in_out(const float* __restrict__ x, int xStride, const W* __restrict__ w,
                                            int wStride, const W* __restrict__ bias, float* __restrict__ out,
                                            int outStride, int m, int n, int k) {
    __shared__ float red[IN_OUT_WARPS * MAX_M * 32];
    const int lane = threadIdx.x & 31, nw = min((int)(blockDim.x >> 5), IN_OUT_WARPS);
    for (int j0 = blockIdx.x * 32; j0 < n; j0 += gridDim.x * 32) {
        const int j = j0 + lane;
        const bool active = j < n;
        for (int r0 = 0; r0 < m; r0 += MAX_M) {
            const float* xr = x + (size_t)r0 * xStride;
            const int mm = min(m - r0, MAX_M);
            switch (mm) {
                case 1: gemv_in_out_group<W, 1>(xr, xStride, w, wStride, j, active, k, nw, red); break;
                case 2: gemv_in_out_group<W, 2>(xr, xStride, w, wStride, j, active, k, nw, red); break;
                case 3: gemv_in_out_group<W, 3>(xr, xStride, w, wStride, j, active, k, nw, red); break;
                case 4: gemv_in_out_group<W, 4>(xr, xStride, w, wStride, j, active, k, nw, red); break;
                case 5: gemv_in_out_group<W, 5>(xr, xStride, w, wStride, j, active, k, nw, red); break;
                case 6: gemv_in_out_group<W, 6>(xr, xStride, w, wStride, j, active, k, nw, red); break;
                case 7: gemv_in_out_group<W, 7>(xr, xStride, w, wStride, j, active, k, nw, red); break;
                default: gemv_in_out_group<W, 8>(xr, xStride, w, wStride, j, active, k, nw, red); break;
            }
            __syncthreads();
            // Index t < 32*mm sums row r = t / 32 of column j0 + t % 32 over the warps, in order.
            for (int t = threadIdx.x; t < 32 * mm; t += blockDim.x) {
                const int r = t >> 5, jj = j0 + (t & 31);
                if (jj >= n) continue;
                float s = bias ? strata::load(bias + jj) : 0.f;
                for (int wp = 0; wp < nw; wp++) s += red[(wp * MAX_M + r) * 32 + (t & 31)];
                out[(size_t)(r0 + r) * outStride + jj] = s;
            }
            __syncthreads();
        }
    }
}

template <typename W> __device__ __forceinline__ W from_float(float v);
template <> __device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }
template <> __device__ __forceinline__ __half from_float<__half>(float v) { return __float2half_rn(v); }

template <typename W>
__device__ __forceinline__ void cast_f32(const float* __restrict__ x, int xStride, W* __restrict__ y, int m, int k) {
    strata::grid_stride_2d(m, k, [&](int r, int c) { y[(size_t)r * k + c] = from_float<W>(x[(size_t)r * xStride + c]); });
}

template <typename W>
__device__ __forceinline__ void add_bias(float* out, int outStride, const W* __restrict__ bias, int m, int n) {
    strata::grid_stride_2d(m, n, [&](int r, int c) { out[(size_t)r * outStride + c] += strata::load(bias + c); });
}

}  // namespace

#define STRATA_MATMUL(SUFFIX, W)                                                                                \
    extern "C" __global__ void __launch_bounds__(256) gemv_out_in_##SUFFIX(                                     \
        const float* x, int xStride, const W* w, int wStride, const W* bias, float* out, int outStride, int m,   \
        int n, int k) { strata::pdl_entry();                                                                    \
        gemv_out_in<W>(x, xStride, w, wStride, bias, out, outStride, m, n, k);                                  \
    }                                                                                                           \
    extern "C" __global__ void __launch_bounds__(256) gemv_out_in_split_##SUFFIX(                               \
        const float* x, int xStride, const W* w, int wStride, const W* bias, float* out, int outStride, int m,   \
        int n, int k, int cols) { strata::pdl_entry();                                                          \
        gemv_out_in_split<W>(x, xStride, w, wStride, bias, out, outStride, m, n, k, cols);                      \
    }                                                                                                           \
    extern "C" __global__ void __launch_bounds__(256) gemv_in_out_##SUFFIX(                                     \
        const float* x, int xStride, const W* w, int wStride, const W* bias, float* out, int outStride, int m,   \
        int n, int k) { strata::pdl_entry();                                                                    \
        gemv_in_out<W>(x, xStride, w, wStride, bias, out, outStride, m, n, k);                                  \
    }                                                                                                           \
    extern "C" __global__ void add_bias_##SUFFIX(float* out, int outStride, const W* bias, int m, int n) { strata::pdl_entry(); \
        add_bias<W>(out, outStride, bias, m, n);                                                                \
    }

STRATA_MATMUL(f32, float)
STRATA_MATMUL(bf16, __nv_bfloat16)
STRATA_MATMUL(f16, __half)

#define STRATA_CAST(SUFFIX, W)                                                                                  \
    extern "C" __global__ void cast_f32_to_##SUFFIX(const float* x, int xStride, void* y, int m, int k) { strata::pdl_entry(); \
        cast_f32<W>(x, xStride, static_cast<W*>(y), m, k);                                                      \
    }

STRATA_CAST(bf16, __nv_bfloat16)
STRATA_CAST(f16, __half)
