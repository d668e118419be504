// Strata OpenCL kernel: rotary position embedding, rotate-half layout. For each head and pair
// i < rotaryDims/2: (a, b) = (x[i], x[i + rotaryDims/2]) becomes (a cos - b sin, b cos + a sin) with angle
// pos[r] * invFreq[i] (invFreq in its stored dtype, invWt: F32, F16 or BF16; see
// strata_common.cl); dims >= rotaryDims are copied. The angle and its sin/cos are computed in
// double when the device has cl_khr_fp64 (as the CPU reference), else float; each is computed
// once per (row, i) and shared by all heads. Safe in place (x == out): each pair is read and
// written by the same work-item.
// Launch: local 64, global rows*64; work-group r handles row r.

__kernel void rope(__global const float* x, int xOff, int xStride,
                   __global const int* pos, int posOff,
                   __global const void* invFreq, int invWt, int invOff,
                   __global float* out, int oOff, int oStride,
                   int heads, int headDim, int rotaryDims) {
    const int r = get_group_id(0);
    const int lid = get_local_id(0), ls = get_local_size(0);
    const int halfRot = rotaryDims / 2;
    const real p = (real) pos[posOff + r];
    __global const float* xr = x + xOff + (long) r * xStride;
    __global float* orow = out + oOff + (long) r * oStride;

    for (int i = lid; i < halfRot; i += ls) {
        const real a = p * (real) load_w(invFreq, invWt, invOff + i);
        const real cs = cos(a), sn = sin(a);
        for (int h = 0; h < heads; h++) {
            const int base = h * headDim;
            const real x0 = (real) xr[base + i], x1 = (real) xr[base + i + halfRot];
            orow[base + i] = (float) (x0 * cs - x1 * sn);
            orow[base + i + halfRot] = (float) (x1 * cs + x0 * sn);
        }
    }
    const int pass = headDim - rotaryDims;
    if (pass > 0) {
        for (int e = lid; e < heads * pass; e += ls) {
            const int h = e / pass, c = rotaryDims + e % pass;
            orow[h * headDim + c] = xr[h * headDim + c];
        }
    }
}
