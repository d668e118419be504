// Strata OpenCL common prelude, prepended by OpenClDevice to every kernel file before it is built:
// `real` is double where the device has cl_khr_fp64 (the CPU reference's precision) and float
// otherwise; RC(x) spells a `real` literal; strata_act is the activation set (0 SILU, 1 GELU_ERF,
// 2 GELU_TANH, 3 RELU, 4 TANH); strata_block_sum is a work-group tree sum (power-of-two local size).
#ifdef cl_khr_fp64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double real;
#define RC(x) x
#else
typedef float real;
#define RC(x) x##f
#endif

static real strata_act(real x, int act) {
    switch (act) {
        case 0: return x / ((real) 1 + exp(-x));
        case 1: return RC(0.5) * x * ((real) 1 + erf(x / sqrt(RC(2.0))));
        case 2: return RC(0.5) * x * ((real) 1 + tanh(RC(0.79788456080286535588) * (x + RC(0.044715) * x * x * x)));
        case 4: return tanh(x);
        default: return (x > (real) 0 || isnan(x)) ? x : (real) 0; // Math.max(0, x): NaN propagates
    }
}

static real strata_block_sum(__local real* red, real v, int lid, int ls) {
    red[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = ls >> 1; s > 0; s >>= 1) {
        if (lid < s) red[lid] += red[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const real total = red[0];
    barrier(CLK_LOCAL_MEM_FENCE); // red is reused by the next reduction
    return total;
}
