// rms_norm_{f32,bf16,f16}: out[r, c] = x[r, c] * rsqrt(mean_c(x[r, :]^2) + eps) * weight[c] for each
// row of an F32 [rows, cols] matrix; weight keeps its checkpoint dtype. Float accumulation
// (per-thread partial sums, then a tree reduction). out may alias x.
// Launch: grid = rows, block 256 (any multiple of 32 up to 1024).
#include "strata_cuda.cuh"

namespace {

template <typename W>
__device__ __forceinline__ void rms_norm(const float* x, int xStride, const W* __restrict__ weight, float* out,
                                         int outStride, int cols, float eps) {
    __shared__ float scratch[32];
    const float* xr = x + (size_t)blockIdx.x * xStride;
    float* o = out + (size_t)blockIdx.x * outStride;
    float ss = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) ss = fmaf(xr[c], xr[c], ss);
    ss = strata::block_sum(ss, scratch);
    const float inv = 1.f / sqrtf(ss / (float)cols + eps);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) o[c] = xr[c] * inv * strata::load(weight + c);
}

}  // namespace

#define STRATA_RMS_NORM(SUFFIX, W)                                                                          \
    extern "C" __global__ void rms_norm_##SUFFIX(const float* x, int xStride, const W* weight, float* out,  \
                                                 int outStride, int cols, float eps) { strata::pdl_entry();  \
        rms_norm<W>(x, xStride, weight, out, outStride, cols, eps);                                          \
    }

STRATA_RMS_NORM(f32, float)
STRATA_RMS_NORM(bf16, __nv_bfloat16)
STRATA_RMS_NORM(f16, __half)
