// Strata OpenCL kernels: out[i, j] = sum_kk x[i, kk] * W(j, kk) (+ bias[j]), float accumulation.
// outIn = 1: W is [n, k] row-major (torch Linear), W(j, kk) = w[j * wStride + kk];
// outIn = 0: W is [k, n] (GPT-2 Conv1D),           W(j, kk) = w[kk * wStride + j].
// bias is optional (hasBias 0: a dummy buffer is passed). W and bias stay in their stored dtypes
// (wWt, bWt: F32, F16 or BF16, widened by load_w; see strata_common.cl). Every tensor is (buffer,
// element offset); strides are in elements.
//
// gemv: decode-sized m (the launcher keeps m <= 8; larger m is still correct, processed 8 rows
//   at a time). Launch: local 64, global n*64; work-group j computes column j for all m rows,
//   the 64 work-items split k (coalesced along a W row for outIn = 1) and meet in a local-memory
//   tree reduction (local size must be a power of two, at most 64).
// matmul_tiled: any m, n, k. Launch: local (16, 16), global (roundup(n, 16), roundup(m, 16));
//   dimension 0 = column j, dimension 1 = row i; 16x16 tiles of x and W are staged in local
//   memory with coalesced loads for either layout; every load and store is bounds-checked.

#define GEMV_WG 64
#define GEMV_ROWS 8
#define TILE 16

__kernel void gemv(__global const float* x, int xOff, int xStride,
                   __global const void* w, int wWt, int wOff, int wStride,
                   __global const void* bias, int bWt, int biasOff, int hasBias,
                   __global float* out, int oOff, int oStride,
                   int m, int n, int k, int outIn) {
    __local float red[GEMV_ROWS][GEMV_WG];
    const int j = get_group_id(0);
    const int lid = get_local_id(0), ls = get_local_size(0);
    if (j >= n) return; // uniform per work-group: no barrier is skipped by part of a group

    for (int i0 = 0; i0 < m; i0 += GEMV_ROWS) {
        const int rows = min(GEMV_ROWS, m - i0);
        float acc[GEMV_ROWS];
        for (int t = 0; t < GEMV_ROWS; t++) acc[t] = 0.0f;
        for (int kk = lid; kk < k; kk += ls) {
            const float wv = load_w(w, wWt, outIn ? wOff + (long) j * wStride + kk : wOff + (long) kk * wStride + j);
            for (int t = 0; t < GEMV_ROWS; t++)
                if (t < rows) acc[t] += x[xOff + (long) (i0 + t) * xStride + kk] * wv;
        }
        for (int t = 0; t < GEMV_ROWS; t++) red[t][lid] = acc[t];
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int s = ls >> 1; s > 0; s >>= 1) {
            if (lid < s)
                for (int t = 0; t < GEMV_ROWS; t++) red[t][lid] += red[t][lid + s];
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        if (lid < rows) {
            float v = red[lid][0];
            if (hasBias) v += load_w(bias, bWt, biasOff + j);
            out[oOff + (long) (i0 + lid) * oStride + j] = v;
        }
        barrier(CLK_LOCAL_MEM_FENCE); // red is reused by the next block of rows
    }
}

__kernel void matmul_tiled(__global const float* x, int xOff, int xStride,
                           __global const void* w, int wWt, int wOff, int wStride,
                           __global const void* bias, int bWt, int biasOff, int hasBias,
                           __global float* out, int oOff, int oStride,
                           int m, int n, int k, int outIn) {
    __local float xs[TILE][TILE + 1];   // xs[ty][kk] = x[i0 + ty, k0 + kk]
    __local float ws[TILE][TILE + 1];   // ws[kk][jj] = W(j0 + jj, k0 + kk)
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int j0 = get_group_id(0) * TILE, i0 = get_group_id(1) * TILE;
    const int j = j0 + tx, i = i0 + ty;

    float acc = 0.0f;
    for (int k0 = 0; k0 < k; k0 += TILE) {
        // x tile: consecutive tx read consecutive kk of one x row.
        const int xk = k0 + tx;
        xs[ty][tx] = (i < m && xk < k) ? x[xOff + (long) i * xStride + xk] : 0.0f;
        if (outIn) {
            // W[n, k]: consecutive tx read consecutive kk of W row j0 + ty; stored transposed.
            const int wj = j0 + ty, wk = k0 + tx;
            ws[tx][ty] = (wj < n && wk < k) ? load_w(w, wWt, wOff + (long) wj * wStride + wk) : 0.0f;
        } else {
            // W[k, n]: consecutive tx read consecutive columns of W row k0 + ty.
            const int wk = k0 + ty;
            ws[ty][tx] = (j < n && wk < k) ? load_w(w, wWt, wOff + (long) wk * wStride + j) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < TILE; kk++) acc += xs[ty][kk] * ws[kk][tx];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (i < m && j < n) {
        if (hasBias) acc += load_w(bias, bWt, biasOff + j);
        out[oOff + (long) i * oStride + j] = acc;
    }
}
