// softmax_f32: out[r, :] = exp(x[r, :] - max) / sum(exp(x[r, :] - max)) for each row of an F32
// [rows, cols] matrix (float math; a row of all -inf yields NaN, as the CPU reference does).
// out may alias x. Launch: grid = rows, block 256 (any multiple of 32 up to 1024).
#include "strata_cuda.cuh"

extern "C" __global__ void softmax_f32(const float* x, int xStride, float* out, int outStride, int cols) {
    strata::pdl_entry();
    __shared__ float scratch[32];
    const float* xr = x + (size_t)blockIdx.x * xStride;
    float* o = out + (size_t)blockIdx.x * outStride;
    float m = -INFINITY;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) m = fmaxf(m, xr[c]);
    m = strata::block_max(m, scratch);
    float s = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) s += expf(xr[c] - m);
    s = strata::block_sum(s, scratch);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) o[c] = expf(xr[c] - m) / s;
}
