// add_f32: out[r, c] = a[r, c] + b[r, c] over [rows, cols] F32 matrices; bStride 0 broadcasts b's
// single row to every row (bias / residual broadcast). out may alias a or b.
// Launch: any grid (grid-stride over rows*cols), e.g. block 256, grid ceil(rows*cols/256).
#include "strata_cuda.cuh"

extern "C" __global__ void add_f32(const float* a, int aStride, const float* b, int bStride, float* out,
                                   int outStride, int rows, int cols) {
    strata::pdl_entry();
    strata::grid_stride_2d(rows, cols, [&](int r, int c) {
        out[(size_t)r * outStride + c] = a[(size_t)r * aStride + c] + b[(size_t)r * bStride + c];
    });
}
