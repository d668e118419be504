// Strata OpenCL kernel: out[r, c] = x[r, c] * factor in float (as the CPU reference).
// Launch: global rows*cols (any local size); grid-stride loop, so any global size is correct.
__kernel void scale(__global const float* x, int xOff, int xStride,
                    __global float* out, int oOff, int oStride, int rows, int cols, float factor) {
    const long total = (long) rows * cols;
    for (long idx = get_global_id(0); idx < total; idx += get_global_size(0)) {
        const int r = (int) (idx / cols), c = (int) (idx % cols);
        out[oOff + (long) r * oStride + c] = x[xOff + (long) r * xStride + c] * factor;
    }
}
