// gated_activate_f32: out[r, c] = act(gate[r, c]) * up[r, c] over [rows, cols] F32 matrices
// (SwiGLU / GeGLU feed-forward). act codes as in activate.cu. out may alias gate or up.
// Launch: any grid (grid-stride over rows*cols), e.g. block 256, grid ceil(rows*cols/256).
#include "strata_cuda.cuh"

extern "C" __global__ void gated_activate_f32(const float* gate, int gateStride, const float* up, int upStride,
                                              float* out, int outStride, int rows, int cols, int act) {
    strata::pdl_entry();
    strata::grid_stride_2d(rows, cols, [&](int r, int c) {
        const float g = gate[(size_t)r * gateStride + c], u = up[(size_t)r * upStride + c];
        out[(size_t)r * outStride + c] = strata::activation(g, act) * u;
    });
}
