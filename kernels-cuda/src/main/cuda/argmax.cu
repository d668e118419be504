// argmax_f32: out[r] = index of the largest value of row r of an F32 [rows, cols] matrix,
// matching the CPU reference's sequential scan `if (v > best)`: the first index wins ties, NaN
// never wins, and a row whose element 0 is NaN yields 0.
// Launch: grid = rows, block 1024 (any multiple of 32 up to 1024).
#include "strata_cuda.cuh"

extern "C" __global__ void argmax_f32(const float* __restrict__ x, int xStride, int* out, int cols) {
    strata::pdl_entry();
    __shared__ float sv[32];
    __shared__ int si[32];
    const float* xr = x + (size_t)blockIdx.x * xStride;
    // NaN is mapped to (-inf, NO_INDEX): it loses to every real value, including -inf.
    float bv = -INFINITY;
    int bi = strata::NO_INDEX;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        const float v = xr[c];
        if (v == v && strata::argmax_better(v, c, bv, bi)) { bv = v; bi = c; }
    }
    bi = strata::block_argmax(bv, bi, sv, si);
    if (threadIdx.x == 0) {
        const float x0 = xr[0];
        out[blockIdx.x] = (x0 != x0 || bi == strata::NO_INDEX) ? 0 : bi;
    }
}
