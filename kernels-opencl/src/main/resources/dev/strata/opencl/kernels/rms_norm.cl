// Strata OpenCL kernel: RMSNorm over rows, out[r, c] = x[r, c] * w[c] / sqrt(mean(x[r, :]^2) + eps).
// w is in its stored dtype (wWt: F32, F16 or BF16, widened by load_w; see strata_common.cl).
// Statistics accumulate in double when the device has cl_khr_fp64 (as the CPU reference), else
// float. Launch: local 256, global rows*256; work-group r normalises row r with a local-memory
// tree reduction (local size must be a power of two, at most 256).

#define NORM_WG 256

__kernel void rms_norm(__global const float* x, int xOff, int xStride,
                       __global const void* w, int wWt, int wOff,
                       __global float* out, int oOff, int oStride, int cols, float eps) {
    __local real red[NORM_WG];
    const int r = get_group_id(0);
    const int lid = get_local_id(0), ls = get_local_size(0);
    __global const float* xr = x + xOff + (long) r * xStride;
    __global float* orow = out + oOff + (long) r * oStride;

    real ss = 0;
    for (int c = lid; c < cols; c += ls) {
        const real v = (real) xr[c];
        ss += v * v;
    }
    const real inv = (real) 1 / sqrt(strata_block_sum(red, ss, lid, ls) / (real) cols + (real) eps);
    for (int c = lid; c < cols; c += ls) orow[c] = (float) ((real) xr[c] * inv * (real) load_w(w, wWt, wOff + c));
}
