// scale_f32: out[r, c] = x[r, c] * factor over a [rows, cols] F32 matrix. out may alias x.
// Launch: any grid (grid-stride over rows*cols), e.g. block 256, grid ceil(rows*cols/256).
#include "strata_cuda.cuh"

extern "C" __global__ void scale_f32(const float* x, int xStride, float* out, int outStride, int rows, int cols,
                                     float factor) {
    strata::pdl_entry();
    strata::grid_stride_2d(rows, cols, [&](int r, int c) {
        out[(size_t)r * outStride + c] = x[(size_t)r * xStride + c] * factor;
    });
}
