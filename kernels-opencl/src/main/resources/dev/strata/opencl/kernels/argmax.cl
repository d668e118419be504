// Strata OpenCL kernel: row argmax, out[r] = index of the largest x[r, c].
// Matches the CPU reference's sequential scan (best = x[0]; replace only on strict >): the first
// index wins ties, NaNs never win, except that a NaN at column 0 makes the answer 0.
// Launch: local 256, global rows*256; work-group r reduces row r in local memory (local size must
// be a power of two, at most 256).
#define ARGMAX_WG 256

__kernel void argmax(__global const float* x, int xOff, int xStride,
                     __global int* out, int oOff, int cols) {
    __local float bestV[ARGMAX_WG];
    __local int bestI[ARGMAX_WG];
    const int r = get_group_id(0);
    const int lid = get_local_id(0), ls = get_local_size(0);
    __global const float* xr = x + xOff + (long) r * xStride;

    float bv = -INFINITY;
    int bi = INT_MAX; // "none yet": any real candidate (even -inf) beats it on the index tie-break
    for (int c = lid; c < cols; c += ls) {
        const float v = xr[c];
        if (v > bv || (v == bv && c < bi)) { bv = v; bi = c; } // NaN compares false: skipped
    }
    bestV[lid] = bv;
    bestI[lid] = bi;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = ls >> 1; s > 0; s >>= 1) {
        if (lid < s) {
            const float ov = bestV[lid + s];
            const int oi = bestI[lid + s];
            if (ov > bestV[lid] || (ov == bestV[lid] && oi < bestI[lid])) {
                bestV[lid] = ov;
                bestI[lid] = oi;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) {
        int best = bestI[0];
        if (cols <= 0 || best == INT_MAX || isnan(xr[0])) best = 0;
        out[oOff + r] = best;
    }
}
