// argmax_f32: out[r] = index of the largest value of row r of an F32 [rows, cols] matrix,
// matching the CPU reference's sequential scan `if (v > best)`: the first index wins ties, NaN
// never wins, and a row whose element 0 is NaN yields 0.
// A row may be split over gridDim.y blocks: block (r, s) scans columns [s·chunk, (s+1)·chunk),
// chunk = ceil(cols / splits), and the row's last block merges the parts (row_argmax and
// split_argmax_merge in strata_cuda.cuh; partV / partI hold rows·splits entries, counters rows ints
// that are zero before the launch and after it). With one split they may be null.
// Launch: grid (rows, splits), block 1024 (any multiple of 32 up to 1024).
#include "strata_cuda.cuh"

extern "C" __global__ void argmax_f32(const float* __restrict__ x, int xStride, int* out, int cols, float* partV, int* partI,
                                      int* counters) {
    strata::pdl_entry();
    __shared__ float sv[32];
    __shared__ int si[32];
    const int row = blockIdx.x;
    const float* xr = x + (size_t)row * xStride;
    // NaN never wins (argmax_better): it loses to every real value, including -inf.
    int bi;
    if (!strata::row_argmax(xr, cols, sv, si, partV, partI, counters, row, bi)) return;
    if (threadIdx.x == 0) out[row] = cols <= 0 || bi == strata::NO_INDEX || xr[0] != xr[0] ? 0 : bi;
}
