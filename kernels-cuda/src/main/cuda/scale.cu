// scale_f32: out[r, c] = x[r, c] * factor over a [rows, cols] F32 matrix. out may alias x.
// Where cols and both row strides are multiples of 4 and x and out are 16-byte aligned, each thread
// moves float4s (4x the bytes in flight of the scalar path: a grid of 132 x 8 blocks then reads at
// close to the copy bandwidth); otherwise one float at a time. Plain loads, not __ldg: out may
// alias x.
// Launch: any grid (grid-stride over rows*cols, or rows*cols/4 float4s), e.g. block 256,
// grid ceil(rows*cols/256), or ceil(rows*cols/1024) where the vector path applies.
#include "strata_cuda.cuh"

extern "C" __global__ void scale_f32(const float* x, int xStride, float* out, int outStride, int rows, int cols,
                                     float factor) {
    strata::pdl_entry();
    const bool vec = cols % 4 == 0 && xStride % 4 == 0 && outStride % 4 == 0 && strata::aligned16(x) && strata::aligned16(out);
    if (vec) {
        strata::grid_stride_2d(rows, cols / 4, [&](int r, int c4) {
            const float4 v = *reinterpret_cast<const float4*>(x + (size_t)r * xStride + 4 * c4);
            *reinterpret_cast<float4*>(out + (size_t)r * outStride + 4 * c4) = make_float4(v.x * factor, v.y * factor, v.z * factor, v.w * factor);
        });
        return;
    }
    strata::grid_stride_2d(rows, cols, [&](int r, int c) {
        out[(size_t)r * outStride + c] = x[(size_t)r * xStride + c] * factor;
    });
}
