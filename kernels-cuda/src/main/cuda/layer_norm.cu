// layer_norm_{f32,bf16,f16}: out[r, c] = (x[r, c] - mean) * rsqrt(var + eps) * weight[c] + bias[c]
// for each row of an F32 [rows, cols] matrix, two-pass statistics (mean, then the mean squared
// deviation) in float; weight/bias keep their checkpoint dtype, bias may be null. out may alias x.
// Launch: grid = rows, block 256 (any multiple of 32 up to 1024).
#include "strata_cuda.cuh"

namespace {

template <typename W>
__device__ __forceinline__ void layer_norm(const float* x, int xStride, const W* __restrict__ weight,
                                           const W* __restrict__ bias, float* out, int outStride, int cols,
                                           float eps) {
    __shared__ float scratch[32];
    const float* xr = x + (size_t)blockIdx.x * xStride;
    float* o = out + (size_t)blockIdx.x * outStride;
    float s = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) s += xr[c];
    const float mean = strata::block_sum(s, scratch) / (float)cols;
    float v = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        const float d = xr[c] - mean;
        v = fmaf(d, d, v);
    }
    const float inv = 1.f / sqrtf(strata::block_sum(v, scratch) / (float)cols + eps);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        const float y = (xr[c] - mean) * inv * strata::load(weight + c);
        o[c] = bias ? y + strata::load(bias + c) : y;
    }
}

}  // namespace

#define STRATA_LAYER_NORM(SUFFIX, W)                                                                          \
    extern "C" __global__ void layer_norm_##SUFFIX(const float* x, int xStride, const W* weight, const W* bias, \
                                                   float* out, int outStride, int cols, float eps) { strata::pdl_entry(); \
        layer_norm<W>(x, xStride, weight, bias, out, outStride, cols, eps);                                   \
    }

STRATA_LAYER_NORM(f32, float)
STRATA_LAYER_NORM(bf16, __nv_bfloat16)
STRATA_LAYER_NORM(f16, __half)
