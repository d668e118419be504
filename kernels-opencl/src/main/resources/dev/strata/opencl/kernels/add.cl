// Strata OpenCL kernel: out[r, c] = a[r, c] + b[r, c] in float (as the CPU reference).
// bStride 0 broadcasts b's single row over all rows of a.
// Launch: global rows*cols (any local size); grid-stride loop, so any global size is correct.
__kernel void add(__global const float* a, int aOff, int aStride,
                  __global const float* b, int bOff, int bStride,
                  __global float* out, int oOff, int oStride, int rows, int cols) {
    const long total = (long) rows * cols;
    for (long idx = get_global_id(0); idx < total; idx += get_global_size(0)) {
        const int r = (int) (idx / cols), c = (int) (idx % cols);
        out[oOff + (long) r * oStride + c] = a[aOff + (long) r * aStride + c] + b[bOff + (long) r * bStride + c];
    }
}
