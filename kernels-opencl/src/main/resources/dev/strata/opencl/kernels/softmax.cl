// Strata OpenCL kernel: row softmax, out[r, c] = exp(x[r, c] - max) / sum_c' exp(x[r, c'] - max).
// Math in double when the device has cl_khr_fp64 (as the CPU reference), else float.
// Launch: local 256, global rows*256; work-group r handles row r with local-memory tree
// reductions for the max and the sum (local size must be a power of two, at most 256).

#define SOFTMAX_WG 256

__kernel void softmax(__global const float* x, int xOff, int xStride,
                      __global float* out, int oOff, int oStride, int cols) {
    __local real red[SOFTMAX_WG];
    const int r = get_group_id(0);
    const int lid = get_local_id(0), ls = get_local_size(0);
    __global const float* xr = x + xOff + (long) r * xStride;
    __global float* orow = out + oOff + (long) r * oStride;

    // Math.max semantics: a NaN anywhere makes the max NaN (fmax would drop it).
    real mx = -INFINITY;
    for (int c = lid; c < cols; c += ls) {
        const real v = (real) xr[c];
        mx = (isnan(v) || v > mx) ? v : mx;
    }
    red[lid] = mx;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = ls >> 1; s > 0; s >>= 1) {
        if (lid < s) {
            const real o = red[lid + s];
            if (isnan(o) || o > red[lid]) red[lid] = o;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    mx = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);

    real sum = 0;
    for (int c = lid; c < cols; c += ls) sum += exp((real) xr[c] - mx);
    red[lid] = sum;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = ls >> 1; s > 0; s >>= 1) {
        if (lid < s) red[lid] += red[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    sum = red[0];

    for (int c = lid; c < cols; c += ls) orow[c] = (float) (exp((real) xr[c] - mx) / sum);
}
