// Strata OpenCL common prelude, prepended by OpenClDevice to every kernel file before it is built:
// `real` is double where the device has cl_khr_fp64 (the CPU reference's precision) and float
// otherwise; RC(x) spells a `real` literal; strata_act is the activation set (0 SILU, 1 GELU_ERF,
// 2 GELU_TANH, 3 RELU, 4 TANH); strata_block_sum is a work-group tree sum (power-of-two local size).
//
// Weights stay in their stored dtype on the device; every kernel that can read a weight takes it as
// `__global const void*` plus a dtype code (WT_F32 0, WT_F16 1, WT_BF16 2; ClLaunchPlans.wtype) and
// widens each element to float on load: F16 through vload_half (core OpenCL, no cl_khr_fp16
// needed), BF16 as the high half of a float bit pattern. All arithmetic is F32 (or `real`) on the
// widened values, also where the device reports cl_khr_fp16: no half-arithmetic path is built.
// load_w reads element i; load_w4a reads elements i..i+3 as one vector load and needs i % 4 == 0
// (16-byte aligned F32, 8-byte aligned F16/BF16, the buffer base being aligned by the driver).
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

#define WT_F32 0
#define WT_F16 1
#define WT_BF16 2

static float load_w(__global const void* p, int wt, long i) {
    if (wt == WT_F16) return vload_half(i, (__global const half*) p);
    if (wt == WT_BF16) return as_float((uint) ((__global const ushort*) p)[i] << 16);
    return ((__global const float*) p)[i];
}

static float4 load_w4a(__global const void* p, int wt, long i) {
    if (wt == WT_F16) return vload_half4(i >> 2, (__global const half*) p);
    if (wt == WT_BF16) return as_float4(convert_uint4(((__global const ushort4*) p)[i >> 2]) << 16);
    return ((__global const float4*) p)[i >> 2];
}
