// argmax_f32: out[r] = index of the largest value of row r of an F32 [rows, cols] matrix,
// matching the CPU reference's sequential scan `if (v > best)`: the first index wins ties, NaN
// never wins, and a row whose element 0 is NaN yields 0.
// A row may be split over gridDim.y blocks: block (r, s) scans columns [s·chunk, (s+1)·chunk),
// chunk = ceil(cols / splits), and the row's last block merges the parts (split_argmax_merge in
// strata_cuda.cuh; partV / partI hold rows·splits entries, counters rows ints that are zero before
// the launch and after it). With one split they may be null.
// Each thread keeps LOADS reads in flight per trip.
// Launch: grid (rows, splits), block 1024 (any multiple of 32 up to 1024).
#include "strata_cuda.cuh"

// Row elements each thread has in flight per trip (a trip is otherwise one dependent read per thread).
constexpr int LOADS = 8;

extern "C" __global__ void argmax_f32(const float* __restrict__ x, int xStride, int* out, int cols, float* partV, int* partI,
                                      int* counters) {
    strata::pdl_entry();
    __shared__ float sv[32];
    __shared__ int si[32];
    const int row = blockIdx.x, splits = gridDim.y;
    const float* xr = x + (size_t)row * xStride;
    const int chunk = (cols + splits - 1) / splits;
    const int lo = min(cols, (int)blockIdx.y * chunk), hi = min(cols, lo + chunk);
    // NaN is mapped to (-inf, NO_INDEX): it loses to every real value, including -inf.
    float bv = -INFINITY;
    int bi = strata::NO_INDEX;
    for (int c0 = lo; c0 < hi; c0 += LOADS * blockDim.x) {
        float v[LOADS];
#pragma unroll
        for (int u = 0; u < LOADS; u++) {
            const int c = c0 + u * blockDim.x + threadIdx.x;
            v[u] = c < hi ? xr[c] : NAN;
        }
#pragma unroll
        for (int u = 0; u < LOADS; u++) {
            const int c = c0 + u * blockDim.x + threadIdx.x;
            if (v[u] == v[u] && strata::argmax_better(v[u], c, bv, bi)) { bv = v[u]; bi = c; }
        }
    }
    bi = strata::block_argmax(bv, bi, sv, si);
    if (splits > 1) {
        bv = bi == strata::NO_INDEX ? -INFINITY : xr[bi];
        if (!strata::split_argmax_merge(bv, bi, partV, partI, counters, row, splits)) return;
    }
    if (threadIdx.x == 0) {
        const float x0 = xr[0];
        out[row] = (x0 != x0 || bi == strata::NO_INDEX) ? 0 : bi;
    }
}
