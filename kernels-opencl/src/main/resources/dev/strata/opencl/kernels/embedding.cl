// Strata OpenCL kernel: embedding gather, out[r, c] = table[ids[r], c], the table in its stored
// dtype (tWt: F32, F16 or BF16, widened by load_w; see strata_common.cl).
// Launch: local 64, global rows*64; work-group r copies row r with coalesced column loops.
// Every tensor is (buffer, element offset); strides are in elements. Ids are validated on the
// host (the CPU reference throws on an id outside the table); the kernel does not re-check.
__kernel void embedding(__global const void* table, int tWt, int tOff, int tStride,
                        __global const int* ids, int idsOff,
                        __global float* out, int oOff, int oStride, int cols) {
    const int r = get_group_id(0);
    const int lid = get_local_id(0), ls = get_local_size(0);
    const int id = ids[idsOff + r];
    const long src = tOff + (long) id * tStride;
    __global float* dst = out + oOff + (long) r * oStride;
    for (int c = lid; c < cols; c += ls) dst[c] = load_w(table, tWt, src + c);
}
