// embedding_{f32,bf16,f16}: out[r, c] = table[ids[r], c] (widened to float) for r < rows,
// c < cols. The table keeps its checkpoint dtype; ids are not range-checked here (the host
// validates token ids before upload). Launch: grid = rows (any grid works: blocks stride over
// rows), block 256.
#include "strata_cuda.cuh"

namespace {

template <typename W>
__device__ __forceinline__ void embedding(const W* __restrict__ table, int tableStride, const int* __restrict__ ids,
                                          float* __restrict__ out, int outStride, int rows, int cols) {
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        const W* src = table + (size_t)ids[r] * tableStride;
        float* dst = out + (size_t)r * outStride;
        for (int c = threadIdx.x; c < cols; c += blockDim.x) dst[c] = strata::load(src + c);
    }
}

}  // namespace

#define STRATA_EMBEDDING(SUFFIX, W)                                                                           \
    extern "C" __global__ void embedding_##SUFFIX(const W* table, int tableStride, const int* ids, float* out, \
                                                  int outStride, int rows, int cols) { strata::pdl_entry();   \
        embedding<W>(table, tableStride, ids, out, outStride, rows, cols);                                    \
    }

STRATA_EMBEDDING(f32, float)
STRATA_EMBEDDING(bf16, __nv_bfloat16)
STRATA_EMBEDDING(f16, __half)
