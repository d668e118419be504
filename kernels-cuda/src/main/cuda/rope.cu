// rope_f32: rotary position embedding, rotate-half layout, on an F32 [rows, heads*headDim] matrix.
// For row r at position p = positions[r], each head's pair (i, i + rotaryDims/2), i < rotaryDims/2,
// is rotated by angle p * invFreq[i]:
//   out[i] = x[i] cos - x[i+half] sin,  out[i+half] = x[i+half] cos + x[i] sin,
// and dims rotaryDims..headDim-1 are copied. As in the CPU reference, the angle and its sine and
// cosine are computed in double (the product of an int and a float is exact in double, so large
// positions lose nothing), once per (row, i) and shared by all heads through shared memory.
// invFreq is F32 (rope_f32), BF16 (rope_bf16) or F16 (rope_f16): a checkpoint may store it in the
// weights' dtype, and it is widened to float as it is read.
// out may alias x. Launch: grid = rows, block 256 (any block size).
#include "strata_cuda.cuh"

namespace {
constexpr int ROPE_CHUNK = 256;  // pairs whose cos/sin are staged in shared memory at a time
}

template <typename F>
__device__ __forceinline__ void rope(const float* x, int xStride, const int* __restrict__ positions,
                                     const F* __restrict__ invFreq, float* out, int outStride, int heads, int headDim,
                                     int rotaryDims) {
    strata::pdl_entry();
    __shared__ float cs[ROPE_CHUNK], sn[ROPE_CHUNK];
    const int r = blockIdx.x, half = rotaryDims / 2;
    const float* xr = x + (size_t)r * xStride;
    float* o = out + (size_t)r * outStride;
    const double pos = (double)positions[r];
    for (int i0 = 0; i0 < half; i0 += ROPE_CHUNK) {
        const int n = min(ROPE_CHUNK, half - i0);
        __syncthreads();  // previous chunk's readers are done
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            double s, c;
            sincos(pos * (double)strata::load(invFreq + i0 + i), &s, &c);
            cs[i] = (float)c;
            sn[i] = (float)s;
        }
        __syncthreads();
        for (int t = threadIdx.x; t < heads * n; t += blockDim.x) {
            const int h = t / n, i = t % n;
            const int a = h * headDim + i0 + i, b = a + half;
            const float xa = xr[a], xb = xr[b], c = cs[i], s = sn[i];
            o[a] = fmaf(xa, c, -xb * s);
            o[b] = fmaf(xb, c, xa * s);
        }
    }
    const int pass = headDim - 2 * half;  // copied dims per head (includes an odd rotaryDims' last dim)
    if (pass > 0 && o != xr)
        for (int t = threadIdx.x; t < heads * pass; t += blockDim.x) {
            const int h = t / pass, i = 2 * half + t % pass;
            o[h * headDim + i] = xr[h * headDim + i];
        }
}

#define STRATA_ROPE(SUFFIX, F)                                                                                    \
    extern "C" __global__ void rope_##SUFFIX(const float* x, int xStride, const int* __restrict__ positions,       \
                                             const F* __restrict__ invFreq, float* out, int outStride, int heads, \
                                             int headDim, int rotaryDims) {                                       \
        rope(x, xStride, positions, invFreq, out, outStride, heads, headDim, rotaryDims);                         \
    }
STRATA_ROPE(f32, float)
STRATA_ROPE(bf16, __nv_bfloat16)
STRATA_ROPE(f16, __half)
