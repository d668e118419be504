// Strata OpenCL kernels: out[i, j] = sum_kk x[i, kk] * W(j, kk) (+ bias[j]), float accumulation.
// outIn = 1: W is [n, k] row-major (torch Linear), W(j, kk) = w[j * wStride + kk];
// outIn = 0: W is [k, n] (GPT-2 Conv1D),           W(j, kk) = w[kk * wStride + j].
// bias is optional (hasBias 0: a dummy buffer is passed). W and bias stay in their stored dtypes
// (wWt, bWt: F32, F16 or BF16, widened by load_w / load_w4a; see strata_common.cl). Every tensor
// is (buffer, element offset); strides are in elements. x is [m, k] F32, out [m, n] F32.
//
// Decode (m <= GEMV_ROWS; larger m stays correct, GEMV_ROWS rows at a time). Both GEMV kernels
// stage x in local memory, GEMV_KC columns of k at a time for all rows, read W exactly once and
// reduce partial sums in local memory; every work-group is 256 work-items (64 lanes x 4).
//   gemv_out_in (outIn = 1): launch local 256, global roundup(n, 4) * 64 (one dimension, so wide
//     vocabularies stay within GPU grid limits); lane lx = id % 64 of quarter ly = id / 64 handles
//     output column j = 4 * group + ly; the 64 lanes walk W row j along k with 4-wide
//     loads (load_w4a, when vec4 = 1: wOff and wStride multiples of 4) or scalar loads (vec4 = 0,
//     and for the k tail), lane-interleaved so a group's loads are contiguous.
//   gemv_in_out (outIn = 0): launch local (64, 4), global (roundup(n, 64), 4). Lane lx handles
//     column j = 64 * group + lx, so consecutive work-items read consecutive W elements of one
//     row (coalesced); the 4 work-item rows split each k chunk and meet in the reduction.
// Prefill: matmul_tiled, any m, n, k. Launch: local (16, 16), global (roundup(n, 64) / 4,
//   roundup(m, 64) / 4). A work-group computes a 64 x 64 output tile (rows i0.., columns j0..),
//   each work-item a 4 x 4 micro-tile: rows i0 + ty + 16a, columns j0 + tx + 16b (a, b < 4), so
//   local reads are conflict-free and stores coalesced. K advances in tiles of 16 staged in local
//   memory: x and OUT_IN W tiles with 16 consecutive work-items on 16 consecutive k of one row,
//   IN_OUT W tiles with 64 consecutive work-items on 64 consecutive columns. Every load is
//   bounds-checked (zero fill) and every store guarded.

#define GEMV_LANES 64
#define GEMV_COLS 4
#define GEMV_ROWS 8
#define GEMV_KC 256
#define TILE_M 64
#define TILE_N 64
#define TILE_K 16
#define MICRO 4

// xs[t][c] = x[i0 + t, k0 + c] for t < rows, c < kc; all GEMV_LANES * GEMV_COLS work-items copy.
static void gemv_stage_x(__local float (*xs)[GEMV_KC], __global const float* x, int xOff, int xStride,
                         int i0, int rows, int k0, int kc, int tid) {
    for (int e = tid; e < rows * GEMV_KC; e += GEMV_LANES * GEMV_COLS) {
        const int t = e / GEMV_KC, c = e % GEMV_KC;
        if (c < kc) xs[t][c] = x[xOff + (long) (i0 + t) * xStride + k0 + c];
    }
}

__kernel __attribute__((reqd_work_group_size(GEMV_LANES * GEMV_COLS, 1, 1)))
void gemv_out_in(__global const float* x, int xOff, int xStride,
                 __global const void* w, int wWt, int wOff, int wStride, int vec4,
                 __global const void* bias, int bWt, int biasOff, int hasBias,
                 __global float* out, int oOff, int oStride, int m, int n, int k) {
    __local float xs[GEMV_ROWS][GEMV_KC];
    __local float red[GEMV_COLS][GEMV_ROWS][GEMV_LANES];
    const int tid = get_local_id(0), lx = tid % GEMV_LANES, ly = tid / GEMV_LANES;
    const int j = get_group_id(0) * GEMV_COLS + ly;
    const bool live = j < n; // a dead column still joins every barrier
    const long wRow = wOff + (long) j * wStride;

    for (int i0 = 0; i0 < m; i0 += GEMV_ROWS) {
        const int rows = min(GEMV_ROWS, m - i0);
        float acc[GEMV_ROWS];
        for (int t = 0; t < GEMV_ROWS; t++) acc[t] = 0.0f;
        for (int k0 = 0; k0 < k; k0 += GEMV_KC) {
            const int kc = min(GEMV_KC, k - k0);
            barrier(CLK_LOCAL_MEM_FENCE); // the previous chunk is consumed
            gemv_stage_x(xs, x, xOff, xStride, i0, rows, k0, kc, tid);
            barrier(CLK_LOCAL_MEM_FENCE);
            if (!live) continue;
            const int kv = vec4 ? kc & ~3 : 0;
            for (int c = lx * 4; c < kv; c += GEMV_LANES * 4) {
                const float4 wv = load_w4a(w, wWt, wRow + k0 + c);
                for (int t = 0; t < GEMV_ROWS; t++)
                    if (t < rows) acc[t] += dot(vload4(0, &xs[t][c]), wv);
            }
            for (int c = kv + lx; c < kc; c += GEMV_LANES) {
                const float wv = load_w(w, wWt, wRow + k0 + c);
                for (int t = 0; t < GEMV_ROWS; t++)
                    if (t < rows) acc[t] += xs[t][c] * wv;
            }
        }
        for (int t = 0; t < GEMV_ROWS; t++) red[ly][t][lx] = acc[t];
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int s = GEMV_LANES / 2; s > 0; s >>= 1) {
            if (lx < s)
                for (int t = 0; t < GEMV_ROWS; t++) red[ly][t][lx] += red[ly][t][lx + s];
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        if (live && lx < rows) {
            float v = red[ly][lx][0];
            if (hasBias) v += load_w(bias, bWt, biasOff + j);
            out[oOff + (long) (i0 + lx) * oStride + j] = v;
        }
        barrier(CLK_LOCAL_MEM_FENCE); // red is rewritten by the next block of rows
    }
}

__kernel __attribute__((reqd_work_group_size(GEMV_LANES, GEMV_COLS, 1)))
void gemv_in_out(__global const float* x, int xOff, int xStride,
                 __global const void* w, int wWt, int wOff, int wStride,
                 __global const void* bias, int bWt, int biasOff, int hasBias,
                 __global float* out, int oOff, int oStride, int m, int n, int k) {
    __local float xs[GEMV_ROWS][GEMV_KC];
    __local float red[GEMV_COLS][GEMV_ROWS][GEMV_LANES];
    const int lx = get_local_id(0), ly = get_local_id(1), tid = ly * GEMV_LANES + lx;
    const int j = get_group_id(0) * GEMV_LANES + lx;
    const bool live = j < n;

    for (int i0 = 0; i0 < m; i0 += GEMV_ROWS) {
        const int rows = min(GEMV_ROWS, m - i0);
        float acc[GEMV_ROWS];
        for (int t = 0; t < GEMV_ROWS; t++) acc[t] = 0.0f;
        for (int k0 = 0; k0 < k; k0 += GEMV_KC) {
            const int kc = min(GEMV_KC, k - k0);
            barrier(CLK_LOCAL_MEM_FENCE);
            gemv_stage_x(xs, x, xOff, xStride, i0, rows, k0, kc, tid);
            barrier(CLK_LOCAL_MEM_FENCE);
            if (!live) continue;
            for (int c = ly; c < kc; c += GEMV_COLS) {
                const float wv = load_w(w, wWt, wOff + (long) (k0 + c) * wStride + j);
                for (int t = 0; t < GEMV_ROWS; t++)
                    if (t < rows) acc[t] += xs[t][c] * wv;
            }
        }
        for (int t = 0; t < GEMV_ROWS; t++) red[ly][t][lx] = acc[t];
        barrier(CLK_LOCAL_MEM_FENCE);
        if (live && ly == 0) {
            float v0 = hasBias ? load_w(bias, bWt, biasOff + j) : 0.0f;
            for (int t = 0; t < rows; t++) {
                float v = v0;
                for (int s = 0; s < GEMV_COLS; s++) v += red[s][t][lx];
                out[oOff + (long) (i0 + t) * oStride + j] = v;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE); // red is rewritten by the next block of rows
    }
}

__kernel __attribute__((reqd_work_group_size(TILE_N / MICRO, TILE_M / MICRO, 1)))
void matmul_tiled(__global const float* x, int xOff, int xStride,
                  __global const void* w, int wWt, int wOff, int wStride,
                  __global const void* bias, int bWt, int biasOff, int hasBias,
                  __global float* out, int oOff, int oStride,
                  int m, int n, int k, int outIn) {
    __local float xs[TILE_K][TILE_M + 1]; // xs[kk][r] = x[i0 + r, k0 + kk]
    __local float ws[TILE_K][TILE_N + 1]; // ws[kk][c] = W(j0 + c, k0 + kk)
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int tid = ty * (TILE_N / MICRO) + tx, threads = (TILE_N / MICRO) * (TILE_M / MICRO);
    const int j0 = get_group_id(0) * TILE_N, i0 = get_group_id(1) * TILE_M;

    float acc[MICRO][MICRO];
    for (int a = 0; a < MICRO; a++)
        for (int b = 0; b < MICRO; b++) acc[a][b] = 0.0f;

    for (int k0 = 0; k0 < k; k0 += TILE_K) {
        for (int e = tid; e < TILE_M * TILE_K; e += threads) {
            const int r = e / TILE_K, kk = e % TILE_K, i = i0 + r, xk = k0 + kk;
            xs[kk][r] = (i < m && xk < k) ? x[xOff + (long) i * xStride + xk] : 0.0f;
        }
        if (outIn) {
            for (int e = tid; e < TILE_N * TILE_K; e += threads) {
                const int c = e / TILE_K, kk = e % TILE_K, j = j0 + c, wk = k0 + kk;
                ws[kk][c] = (j < n && wk < k) ? load_w(w, wWt, wOff + (long) j * wStride + wk) : 0.0f;
            }
        } else {
            for (int e = tid; e < TILE_N * TILE_K; e += threads) {
                const int kk = e / TILE_N, c = e % TILE_N, j = j0 + c, wk = k0 + kk;
                ws[kk][c] = (j < n && wk < k) ? load_w(w, wWt, wOff + (long) wk * wStride + j) : 0.0f;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < TILE_K; kk++) {
            float xr[MICRO], wr[MICRO];
            for (int a = 0; a < MICRO; a++) xr[a] = xs[kk][ty + a * (TILE_M / MICRO)];
            for (int b = 0; b < MICRO; b++) wr[b] = ws[kk][tx + b * (TILE_N / MICRO)];
            for (int a = 0; a < MICRO; a++)
                for (int b = 0; b < MICRO; b++) acc[a][b] = fma(xr[a], wr[b], acc[a][b]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int b = 0; b < MICRO; b++) {
        const int j = j0 + tx + b * (TILE_N / MICRO);
        if (j >= n) continue;
        const float bv = hasBias ? load_w(bias, bWt, biasOff + j) : 0.0f;
        for (int a = 0; a < MICRO; a++) {
            const int i = i0 + ty + a * (TILE_M / MICRO);
            if (i < m) out[oOff + (long) i * oStride + j] = acc[a][b] + bv;
        }
    }
}
