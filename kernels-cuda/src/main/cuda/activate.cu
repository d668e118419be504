// activate_f32: out[r, c] = act(x[r, c]) over a [rows, cols] F32 matrix (strided rows).
// act: 0 SILU x/(1+e^-x), 1 GELU_ERF 0.5x(1+erf(x/sqrt2)), 2 GELU_TANH
// 0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3))), 3 RELU, 4 TANH. In place (out == x) is allowed.
// Launch: any grid (grid-stride over rows*cols), e.g. block 256, grid ceil(rows*cols/256).
#include "strata_cuda.cuh"

extern "C" __global__ void activate_f32(const float* __restrict__ x, int xStride, float* out, int outStride,
                                        int rows, int cols, int act) {
    strata::pdl_entry();
    strata::grid_stride_2d(rows, cols, [&](int r, int c) {
        out[(size_t)r * outStride + c] = strata::activation(x[(size_t)r * xStride + c], act);
    });
}
