// argmax_f32: out[r] = index of the largest value of row r of an F32 [rows, cols] matrix,
// matching the CPU reference's sequential scan `if (v > best)`: the first index wins ties, NaN
// never wins, and a row whose element 0 is NaN yields 0.
// Launch: grid = rows, block 1024 (any multiple of 32 up to 1024).
#include "strata_cuda.cuh"
#include <limits.h>

namespace {

// (v, i) beats (bv, bi): larger value, then smaller index.
__device__ __forceinline__ bool better(float v, int i, float bv, int bi) { return v > bv || (v == bv && i < bi); }

__device__ __forceinline__ void warp_argmax(float& v, int& i) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        const float ov = __shfl_xor_sync(strata::FULL_MASK, v, o);
        const int oi = __shfl_xor_sync(strata::FULL_MASK, i, o);
        if (better(ov, oi, v, i)) { v = ov; i = oi; }
    }
}

}  // namespace

extern "C" __global__ void argmax_f32(const float* __restrict__ x, int xStride, int* out, int cols) {
    strata::pdl_entry();
    __shared__ float sv[32];
    __shared__ int si[32];
    const float* xr = x + (size_t)blockIdx.x * xStride;
    // NaN is mapped to (-inf, INT_MAX): it loses to every real value, including -inf.
    float bv = -INFINITY;
    int bi = INT_MAX;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        const float v = xr[c];
        if (v == v && better(v, c, bv, bi)) { bv = v; bi = c; }
    }
    warp_argmax(bv, bi);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = (blockDim.x + 31) >> 5;
    if (lane == 0) { sv[warp] = bv; si[warp] = bi; }
    __syncthreads();
    if (warp == 0) {
        bv = lane < nwarps ? sv[lane] : -INFINITY;
        bi = lane < nwarps ? si[lane] : INT_MAX;
        warp_argmax(bv, bi);
        if (lane == 0) {
            const float x0 = xr[0];
            out[blockIdx.x] = (x0 != x0 || bi == INT_MAX) ? 0 : bi;
        }
    }
}
