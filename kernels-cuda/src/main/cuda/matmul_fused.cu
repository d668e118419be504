// gemv_fused[_gate][_m1]_{f32,bf16,f16}: the decode GEMV (m activation rows, W [n, k] row-major as torch
// Linear) with a matmul's fused parts (MatMul.java), so a Llama block's RMSNorms, gate/up pair,
// gated activation and residual adds cost no launches of their own:
//   norm != 0: x's rows are RMS-normalised with weight g [k] (W's dtype) and eps first. The row
//              scale is factored out of the dot product: out = rsqrt(mean(x²) + eps) · Σ x·g·W,
//              with Σ x² gathered from the same x loads, so no normalised copy is written;
//   up != null (the _gate_ kernels, which require it): a gate. The warp reads row j of `up` [n, k] beside row j of W and
//              out = act(x·W + bias) · (x·up + upBias) (act codes as activate.cu);
//   positions != null: RoPE (rope.cu's rotate-half, positions [m] I32, invFreq [rotaryDims / 2],
//              heads of headDim columns) on the product's first rotaryCols columns (heads × headDim,
//              fewer than n in a stacked q/k/v projection, whose v columns stay as the product), the
//              pairs (i, i + half) of a head computed in the same block (cols >= 2) and rotated there;
//   residual != null: out += residual[r, j] (F32 [m, n], row stride resStride); out may alias it.
// Bias, upBias may be null and share W's dtype. All sums in float.
// Block = exactly 256 threads (8 warps) serving `cols` columns (1, 2, 4 or 8); the 8 / cols warps
// of a column split its k range (16-byte vectors part, part + parts, ... in groups of 32) and
// meet in shared memory, where one thread per (column, row) finishes the output. Vector loads when
// x, W, up and g are 16-byte aligned with row strides that keep them so; a scalar tail covers k
// not a multiple of the vector width. The _m1_ kernels take rows one at a time, the others 8 at a
// time (any m is correct for both; decode uses m <= 8, the m1 kernels for m = 1).
// Launch: grid ceil(n / cols) (any grid is correct: blocks stride over column groups).
#include "strata_cuda.cuh"

namespace {

constexpr int MAX_M = 8;
constexpr int WARPS = 8;

// Adds one 16-byte W vector (N elements at element offset `off` of each of the NW rows) times
// x[r, off..off+N) (times g when norm) into dot[i][r]; Σ x² into ss[r] when norm.
template <int M, int NW, int N>
__device__ __forceinline__ void fma_vector(const float* __restrict__ x, int xStride, size_t off, const float (&wv)[NW][N],
                                           const float (&gv)[N], bool norm, float (&dot)[NW][M], float (&ss)[M]) {
#pragma unroll
    for (int r = 0; r < M; r++) {
        const float* xp = x + (size_t)r * xStride + off;
#pragma unroll
        for (int q = 0; q < N / 4; q++) {
            const float4 xv = strata::load4(xp + 4 * q);
            const float xe[4] = {xv.x, xv.y, xv.z, xv.w};
#pragma unroll
            for (int e = 0; e < 4; e++) {
                float xs = xe[e];
                if (norm) {
                    ss[r] = fmaf(xs, xs, ss[r]);
                    xs *= gv[4 * q + e];
                }
#pragma unroll
                for (int i = 0; i < NW; i++) dot[i][r] = fmaf(xs, wv[i][4 * q + e], dot[i][r]);
            }
        }
    }
}

// This warp's partial sums over its part of the k range for M rows: red[i·MAX_M + r] = Σ x·(g)·W_i,
// red[NW·MAX_M + r] = Σ x² (written by lane 0).
template <typename W, int M, int NW>
__device__ __forceinline__ void fused_partials(const float* __restrict__ x, int xStride, const W* __restrict__ w0,
                                               const W* __restrict__ w1, const W* __restrict__ g, bool norm, int k,
                                               bool vec, int part, int parts, float* red) {
    using V = strata::Vec16<W>;
    constexpr int N = V::N;
    // 16-byte loads of each W row in flight per lane: 2 keeps the 16-bit m1 kernels within 64 registers
    // (4 blocks per SM) with 4 x 8 x 32 x 32 B = 32 KiB in flight per SM, enough to stream.
    constexpr int U = NW == 2 || M > 2 || N == 8 ? 2 : 4;
    const int lane = threadIdx.x & 31;
    float dot[NW][M], ss[M];
#pragma unroll
    for (int r = 0; r < M; r++) {
        ss[r] = 0.f;
#pragma unroll
        for (int i = 0; i < NW; i++) dot[i][r] = 0.f;
    }
    const W* rows[2] = {w0, w1};
    const int kv = vec ? k / N : 0;
    const int step = 32 * parts;
    int c = lane + 32 * part;
    for (; c + step * (U - 1) < kv; c += step * U) {
        // The W rows stream from DRAM: all U loads are issued first. g is small and cache-hot, so it
        // is loaded next to its use and costs no registers across the batch.
        float wv[U][NW][N];
#pragma unroll
        for (int u = 0; u < U; u++)
#pragma unroll
            for (int i = 0; i < NW; i++) V::load(rows[i] + (size_t)(c + step * u) * N, wv[u][i]);
#pragma unroll
        for (int u = 0; u < U; u++) {
            float gv[N];
            if (norm) V::load(g + (size_t)(c + step * u) * N, gv);
            fma_vector<M, NW, N>(x, xStride, (size_t)(c + step * u) * N, wv[u], gv, norm, dot, ss);
        }
    }
    for (; c < kv; c += step) {
        float wv[NW][N], gv[N];
#pragma unroll
        for (int i = 0; i < NW; i++) V::load(rows[i] + (size_t)c * N, wv[i]);
        if (norm) V::load(g + (size_t)c * N, gv);
        fma_vector<M, NW, N>(x, xStride, (size_t)c * N, wv, gv, norm, dot, ss);
    }
    // Scalar tail (everything when !vec).
    for (int kk = kv * N + lane + 32 * part; kk < k; kk += step) {
        const float gk = norm ? strata::load(g + kk) : 1.f;
        float wk[NW];
#pragma unroll
        for (int i = 0; i < NW; i++) wk[i] = strata::load(rows[i] + kk);
#pragma unroll
        for (int r = 0; r < M; r++) {
            const float xk = __ldg(x + (size_t)r * xStride + kk);
            if (norm) ss[r] = fmaf(xk, xk, ss[r]);
#pragma unroll
            for (int i = 0; i < NW; i++) dot[i][r] = fmaf(xk * gk, wk[i], dot[i][r]);
        }
    }
#pragma unroll
    for (int r = 0; r < M; r++) {
#pragma unroll
        for (int i = 0; i < NW; i++) {
            const float s = strata::warp_sum(dot[i][r]);
            if (lane == 0) red[i * MAX_M + r] = s;
        }
        const float s = strata::warp_sum(ss[r]);
        if (lane == 0) red[NW * MAX_M + r] = s;
    }
}

// Output column of logical column L. With RoPE (half = rotaryDims / 2 > 0) each head's pair
// (i, i + half) below rotaryCols sits at adjacent logical columns (2i, 2i + 1), so a block of an
// even number of columns holds both halves of its pairs; dims past rotaryDims, and columns from
// rotaryCols (even) on, keep their place.
__device__ __forceinline__ int out_column(int L, int headDim, int half, int rotaryCols) {
    if (half == 0 || L >= rotaryCols) return L;
    const int h = L / headDim, q = L - h * headDim;
    return q < 2 * half ? h * headDim + (q >> 1) + (q & 1) * half : L;
}

template <typename W, int NW, int MMAX>
__device__ __forceinline__ void gemv_fused(const float* __restrict__ x, int xStride, const W* __restrict__ w, int wStride,
                                           const W* __restrict__ bias, const W* __restrict__ up, const W* __restrict__ upBias,
                                           const W* __restrict__ g, float eps, const float* residual, int resStride,
                                           float* out, int outStride, int m, int n, int k, int cols, int act, bool norm,
                                           const int* __restrict__ positions, const float* __restrict__ invFreq,
                                           int headDim, int rotaryDims, int rotaryCols) {
    __shared__ float red[WARPS][3 * MAX_M];
    __shared__ float vals[WARPS * MAX_M];  // [cols][rows] of this pass, for RoPE's pairs
    const bool rope = positions != nullptr;
    const int half = rope ? rotaryDims / 2 : 0;
    constexpr int N = strata::Vec16<W>::N;
    const bool vec = strata::aligned16(w) && wStride % N == 0 && strata::aligned16(x) && xStride % 4 == 0 &&
                     (NW == 1 || strata::aligned16(up)) && (!norm || strata::aligned16(g));
    const int warp = threadIdx.x >> 5, parts = WARPS / cols, col = warp / parts, part = warp % parts;
    // Before waiting for the previous kernel (programmatic dependent launch): this block's first
    // W (and up) rows into L2. Weights are never written by a kernel.
    const int rowLines = (int)(((size_t)k * sizeof(W) + 127) / 128);
    for (int t = threadIdx.x; t < cols * rowLines; t += blockDim.x) {
        const int L = blockIdx.x * cols + t / rowLines;
        if (L >= n) break;
        const size_t rowBytes = (size_t)k * sizeof(W), line = min((size_t)(t % rowLines) * 128, rowBytes - 1); // stays in the row
        const size_t at = (size_t)out_column(L, headDim, half, rotaryCols) * wStride * sizeof(W) + line;
        strata::prefetch_l2(reinterpret_cast<const char*>(w) + at);
        if (NW == 2) strata::prefetch_l2(reinterpret_cast<const char*>(up) + at);
    }
    strata::pdl_entry();
    for (int j0 = blockIdx.x * cols; j0 < n; j0 += gridDim.x * cols) {
        const int j = j0 + col < n ? out_column(j0 + col, headDim, half, rotaryCols) : n;
        for (int r0 = 0; r0 < m; r0 += MMAX) {
            const int mm = min(m - r0, MMAX);
            if (j < n) {
                const W* w0 = w + (size_t)j * wStride;
                const W* w1 = NW == 2 ? up + (size_t)j * wStride : nullptr;
                const float* xr = x + (size_t)r0 * xStride;
#define STRATA_PARTIALS(M) fused_partials<W, M, NW>(xr, xStride, w0, w1, g, norm, k, vec, part, parts, red[warp])
                if constexpr (MMAX == 1) {
                    STRATA_PARTIALS(1);
                } else {
                    switch (mm) {
                        case 1: STRATA_PARTIALS(1); break;
                        case 2: STRATA_PARTIALS(2); break;
                        case 3: STRATA_PARTIALS(3); break;
                        case 4: STRATA_PARTIALS(4); break;
                        case 5: STRATA_PARTIALS(5); break;
                        case 6: STRATA_PARTIALS(6); break;
                        case 7: STRATA_PARTIALS(7); break;
                        default: STRATA_PARTIALS(8); break;
                    }
                }
#undef STRATA_PARTIALS
            }
            __syncthreads();
            for (int t = threadIdx.x; t < cols * mm; t += blockDim.x) {
                const int c = t / mm, r = t % mm, jj = j0 + c;
                if (jj >= n) continue;
                float d0 = 0.f, d1 = 0.f, ss = 0.f;
                for (int p = 0; p < parts; p++) {
                    const float* rp = red[c * parts + p];
                    d0 += rp[r];
                    if (NW == 2) d1 += rp[MAX_M + r];
                    ss += rp[NW * MAX_M + r];
                }
                const float inv = norm ? 1.f / sqrtf(ss / (float)k + eps) : 1.f;
                const int oc = out_column(jj, headDim, half, rotaryCols);
                float v = d0 * inv + (bias ? strata::load(bias + oc) : 0.f);
                if (NW == 2) v = strata::activation(v, act) * (d1 * inv + (upBias ? strata::load(upBias + oc) : 0.f));
                if (rope) {
                    vals[c * mm + r] = v;
                    continue;
                }
                const size_t row = (size_t)(r0 + r);
                if (residual) v += residual[row * resStride + oc];
                out[row * outStride + oc] = v;
            }
            if (rope) {
                // As rope.cu: the angle and its sine and cosine in double, then
                // out[i] = x[i] cos - x[i+half] sin, out[i+half] = x[i+half] cos + x[i] sin.
                __syncthreads();
                for (int t = threadIdx.x; t < cols * mm; t += blockDim.x) {
                    const int c = t / mm, r = t % mm, jj = j0 + c;
                    if (jj >= n) continue;
                    const int oc = out_column(jj, headDim, half, rotaryCols), q = jj % headDim;
                    const size_t row = (size_t)(r0 + r);
                    float v = vals[c * mm + r];
                    if (jj < rotaryCols && q < 2 * half) {
                        const float partner = vals[(c ^ 1) * mm + r];
                        double sd, cd;
                        sincos((double)positions[row] * (double)invFreq[q >> 1], &sd, &cd);
                        const float sn = (float)sd, cs = (float)cd;
                        v = (q & 1) == 0 ? fmaf(v, cs, -partner * sn) : fmaf(v, cs, partner * sn);
                    }
                    if (residual) v += residual[row * resStride + oc];
                    out[row * outStride + oc] = v;
                }
            }
            __syncthreads();
        }
    }
}

}  // namespace

// One entry per (gate or not, rows per pass), each compiled on its own so it gets its own register
// count: the plain and m1 variants must fit 4 blocks of 256 threads per SM (64 registers), like the
// plain GEMV, so a 512-block launch (n = 2048 at 4 columns per block) runs in one wave on 132 SMs.
#define STRATA_GEMV_FUSED_ENTRY(NAME, W, NW, MMAX, MINB)                                                                 \
    extern "C" __global__ void __launch_bounds__(256, MINB) NAME(                                                        \
        const float* x, int xStride, const W* w, int wStride, const W* bias, const W* up, const W* upBias, const W* g,    \
        float eps, const float* residual, int resStride, float* out, int outStride, int m, int n, int k, int cols,       \
        int act, int norm, const int* positions, const float* invFreq, int headDim, int rotaryDims, int rotaryCols) {    \
        if (blockDim.x != 32 * WARPS || (cols != 1 && cols != 2 && cols != 4 && cols != 8) || (NW == 2) != (up != nullptr) || \
            (positions != nullptr && (cols == 1 || headDim <= 0 || rotaryDims <= 0 || rotaryDims > headDim ||            \
                                      rotaryCols <= 0 || rotaryCols % 2 != 0 || rotaryCols > n)))                         \
            __trap();                                                                                                    \
        gemv_fused<W, NW, MMAX>(x, xStride, w, wStride, bias, up, upBias, g, eps, residual, resStride, out, outStride, m, \
                                n, k, cols, act, norm != 0, positions, invFreq, headDim, rotaryDims, rotaryCols);        \
    }
#define STRATA_GEMV_FUSED(SUFFIX, W)                                        \
    STRATA_GEMV_FUSED_ENTRY(gemv_fused_##SUFFIX, W, 1, MAX_M, 2)           \
    STRATA_GEMV_FUSED_ENTRY(gemv_fused_m1_##SUFFIX, W, 1, 1, 4)            \
    STRATA_GEMV_FUSED_ENTRY(gemv_fused_gate_##SUFFIX, W, 2, MAX_M, 2)      \
    STRATA_GEMV_FUSED_ENTRY(gemv_fused_gate_m1_##SUFFIX, W, 2, 1, 3)

STRATA_GEMV_FUSED(f32, float)
STRATA_GEMV_FUSED(bf16, __nv_bfloat16)
STRATA_GEMV_FUSED(f16, __half)
