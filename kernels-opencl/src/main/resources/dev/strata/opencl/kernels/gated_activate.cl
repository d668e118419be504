// Strata OpenCL kernel: out[r, c] = act(g[r, c]) * u[r, c] (SwiGLU / GeGLU gate).
// act: 0 SILU, 1 GELU_ERF (erf), 2 GELU_TANH, 3 RELU, same formulas as activate.cl. Math in
// double when the device has cl_khr_fp64 (as the CPU reference), else float; stored as float.
// Launch: global rows*cols (any local size); grid-stride loop, so any global size is correct.

__kernel void gated_activate(__global const float* g, int gOff, int gStride,
                             __global const float* u, int uOff, int uStride,
                             __global float* out, int oOff, int oStride, int rows, int cols, int act) {
    const long total = (long) rows * cols;
    for (long idx = get_global_id(0); idx < total; idx += get_global_size(0)) {
        const int r = (int) (idx / cols), c = (int) (idx % cols);
        const real a = strata_act((real) g[gOff + (long) r * gStride + c], act);
        out[oOff + (long) r * oStride + c] = (float) (a * (real) u[uOff + (long) r * uStride + c]);
    }
}
