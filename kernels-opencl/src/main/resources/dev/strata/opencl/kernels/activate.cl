// Strata OpenCL kernel: out[r, c] = act(x[r, c]).
// act: 0 SILU x/(1+exp(-x)), 1 GELU_ERF 0.5x(1+erf(x/sqrt2)), 2 GELU_TANH
// 0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3))), 3 RELU max(0, x), 4 TANH. Math in double when the device has
// cl_khr_fp64 (as the CPU reference), else float; the result is stored as float.
// Launch: global rows*cols (any local size); grid-stride loop, so any global size is correct.

__kernel void activate(__global const float* x, int xOff, int xStride,
                       __global float* out, int oOff, int oStride, int rows, int cols, int act) {
    const long total = (long) rows * cols;
    for (long idx = get_global_id(0); idx < total; idx += get_global_size(0)) {
        const int r = (int) (idx / cols), c = (int) (idx % cols);
        out[oOff + (long) r * oStride + c] = (float) strata_act((real) x[xOff + (long) r * xStride + c], act);
    }
}
