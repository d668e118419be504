// Strata OpenCL kernels: out[i, j] = sum_kk x[i, kk] * W(j, kk) (+ bias[j]), float accumulation,
// with MatMul's fused parts (engine/ops/MatMul.java). Strides and offsets are in elements.
// outIn = 1: W is [n, k] row-major (torch Linear), W(j, kk) = w[j * wStride + kk];
// outIn = 0: W is [k, n] (GPT-2 Conv1D),           W(j, kk) = w[kk * wStride + j].
// bias is optional (hasBias 0: a dummy buffer is passed). W, U, biases and the norm weight stay in
// their stored dtypes (*Wt: F32, F16 or BF16, widened by load_w / load_w4a; see strata_common.cl).
// x is [m, k] F32, out [m, n] F32.
//
// Epilogue (mm_epilogue; gemv_in_out and matmul_tiled): v = product + bias, then
//   hasGateIn: v = act(gateIn[i, j]) * v (the up product of a gated MLP whose gate product is in
//              gateIn, [m, n] F32), else act >= 0: v = act(v) (strata_act codes, ACT_NONE = -1);
//   hasRes:    v += res[i, j] (F32 [m, n]; may alias out: each element is read, then written, by
//              the same work-item).
//
// Decode (m <= GEMV_ROWS; larger m stays correct, GEMV_ROWS rows at a time). Both GEMV kernels
// stage x in local memory, GEMV_KC columns of k at a time for all rows, read W exactly once and
// reduce partial sums in local memory; every work-group is 256 work-items (64 lanes x 4).
//   gemv_out_in / gemv_out_in_gate (outIn = 1), every part in one launch. Launch: local 256,
//     global roundup(n, 4) * 64 (one dimension, so wide vocabularies stay within GPU grid
//     limits). Lane lx = id % 64 of quarter ly = id / 64 handles logical column L = 4 * group +
//     ly; the 64 lanes walk W row j(L) along k with 4-wide loads (load_w4a, when vec4 = 1: W's
//     (and U's) offset and stride multiples of 4) or scalar loads (vec4 = 0, and the k tail),
//     lane-interleaved so a group's loads are contiguous. Parts, in MatMul's order:
//     prenorm (hasNorm): x is staged as x * g; work-item c stages column c of every row and keeps
//       its sum of x^2, reduced per row after the k loop (in xs, which is free by then) together
//       with the products; the product is scaled by rsqrt(mean(x^2) + eps) (the norm factored
//       out of the dot product);
//     gate (the _gate kernel): each quarter also walks U row j(L); v = act(xW + b) * (xU + u);
//     act >= 0 without gate: v = act(xW + b);
//     rotary (rotCols > 0, the leading columns RoPE applies to: heads * headDim, possibly fewer
//       than n, as a stacked q/k/v projection's q and k): for L < rotCols, j(L) pairs the columns
//       of each RoPE pair: within a head (headDim even),
//       logical l = L % headDim < rotaryDims maps to column l / 2 + (l % 2) * rotaryDims / 2, so
//       quarters 2q and 2q + 1 hold (a, b) = (x[i], x[i + rotaryDims/2]) and rotate them in
//       local memory to (a cos - b sin, b cos + a sin), angle pos[row] * invFreq[l / 2] in `real`
//       as rope.cl; dims >= rotaryDims map to themselves;
//     residual (hasRes): v += res[i, j] last.
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
#define GEMV_THREADS (GEMV_LANES * GEMV_COLS)
#define GEMV_ROWS 8
#define GEMV_KC 256 // == GEMV_THREADS: work-item c stages column c of each row
#define TILE_M 64
#define TILE_N 64
#define TILE_K 16
#define MICRO 4
#define ACT_NONE (-1)

static float mm_epilogue(float v, long i, int j, __global const float* gateIn, int gOff, int gStride, int hasGateIn,
                         int act, __global const float* res, int rOff, int rStride, int hasRes) {
    if (hasGateIn) v = (float) (strata_act((real) gateIn[gOff + i * gStride + j], act) * (real) v);
    else if (act != ACT_NONE) v = (float) strata_act((real) v, act);
    if (hasRes) v += res[rOff + i * rStride + j];
    return v;
}

// xs[t][c] = x[i0 + t, k0 + c] for t < rows, c < kc; all GEMV_THREADS work-items copy.
static void gemv_stage_x(__local float (*xs)[GEMV_KC], __global const float* x, int xOff, int xStride,
                         int i0, int rows, int k0, int kc, int tid) {
    for (int e = tid; e < rows * GEMV_KC; e += GEMV_THREADS) {
        const int t = e / GEMV_KC, c = e % GEMV_KC;
        if (c < kc) xs[t][c] = x[xOff + (long) (i0 + t) * xStride + k0 + c];
    }
}

// Column of logical column L (see the header): RoPE pairs adjacent below rotCols.
static int gemv_column(int L, int rotCols, int headDim, int rotaryDims) {
    if (L >= rotCols) return L;
    const int l = L % headDim;
    return l < rotaryDims ? L - l + l / 2 + (l % 2) * (rotaryDims / 2) : L;
}

// The OUT_IN GEMV with every fused part; gated is a compile-time constant of the two kernels.
static inline void gemv_out_in_body(const int gated, __local float (*xs)[GEMV_KC], __local float (*red)[GEMV_ROWS][GEMV_LANES],
        __local float (*redU)[GEMV_ROWS][GEMV_LANES], __local float (*fin)[GEMV_ROWS],
        __global const float* x, int xOff, int xStride,
        __global const void* w, int wWt, int wOff, int wStride, int vec4,
        __global const void* bias, int bWt, int biasOff, int hasBias,
        __global const void* up, int uWt, int uOff, int uStride,
        __global const void* upBias, int ubWt, int ubOff, int hasUpBias,
        __global const void* norm, int nWt, int nOff, int hasNorm, float eps, int act,
        __global const int* pos, int posOff, __global const void* invFreq, int invWt, int invOff,
        int headDim, int rotaryDims, int rotCols,
        __global const float* res, int rOff, int rStride, int hasRes,
        __global float* out, int oOff, int oStride, int m, int n, int k) {
    const int tid = get_local_id(0), lx = tid % GEMV_LANES, ly = tid / GEMV_LANES;
    const int L = get_group_id(0) * GEMV_COLS + ly;
    const bool live = L < n; // a dead column still joins every barrier
    const int j = live ? gemv_column(L, rotCols, headDim, rotaryDims) : 0;
    const long wRow = wOff + (long) j * wStride, uRow = uOff + (long) j * uStride;

    for (int i0 = 0; i0 < m; i0 += GEMV_ROWS) {
        const int rows = min(GEMV_ROWS, m - i0);
        float acc[GEMV_ROWS], accU[GEMV_ROWS], ss[GEMV_ROWS];
        for (int t = 0; t < GEMV_ROWS; t++) {
            acc[t] = 0.0f;
            accU[t] = 0.0f;
            ss[t] = 0.0f;
        }
        for (int k0 = 0; k0 < k; k0 += GEMV_KC) {
            const int kc = min(GEMV_KC, k - k0);
            barrier(CLK_LOCAL_MEM_FENCE); // the previous chunk is consumed
            if (tid < kc) {
                const float g = hasNorm ? load_w(norm, nWt, nOff + k0 + tid) : 1.0f;
                for (int t = 0; t < GEMV_ROWS; t++) {
                    if (t >= rows) break;
                    const float xv = x[xOff + (long) (i0 + t) * xStride + k0 + tid];
                    ss[t] += xv * xv;
                    xs[t][tid] = xv * g;
                }
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            if (!live) continue;
            const int kv = vec4 ? kc & ~3 : 0;
            for (int c = lx * 4; c < kv; c += GEMV_LANES * 4) {
                const float4 wv = load_w4a(w, wWt, wRow + k0 + c);
                float4 uv = (float4) (0.0f);
                if (gated) uv = load_w4a(up, uWt, uRow + k0 + c);
                for (int t = 0; t < GEMV_ROWS; t++) {
                    if (t >= rows) break;
                    const float4 xv = vload4(0, &xs[t][c]);
                    acc[t] += dot(xv, wv);
                    if (gated) accU[t] += dot(xv, uv);
                }
            }
            for (int c = kv + lx; c < kc; c += GEMV_LANES) {
                const float wv = load_w(w, wWt, wRow + k0 + c);
                const float uv = gated ? load_w(up, uWt, uRow + k0 + c) : 0.0f;
                for (int t = 0; t < GEMV_ROWS; t++) {
                    if (t >= rows) break;
                    acc[t] += xs[t][c] * wv;
                    if (gated) accU[t] += xs[t][c] * uv;
                }
            }
        }
        // Lane sums of the products (and of x^2 per quarter, in xs: the k loop is done with it).
        __local float (*redN)[GEMV_ROWS][GEMV_LANES] = (__local float (*)[GEMV_ROWS][GEMV_LANES]) &xs[0][0];
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int t = 0; t < GEMV_ROWS; t++) {
            red[ly][t][lx] = acc[t];
            if (gated) redU[ly][t][lx] = accU[t];
            redN[ly][t][lx] = ss[t];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int s = GEMV_LANES / 2; s > 0; s >>= 1) { // no barrier under a branch: PoCL needs that
            if (lx < s)
                for (int t = 0; t < GEMV_ROWS; t++) {
                    red[ly][t][lx] += red[ly][t][lx + s];
                    if (gated) redU[ly][t][lx] += redU[ly][t][lx + s];
                    if (hasNorm) redN[ly][t][lx] += redN[ly][t][lx + s];
                }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        const int t = lx;
        float v = 0.0f;
        if (live && t < rows) {
            float scale = 1.0f;
            if (hasNorm) {
                const real sum = (real) redN[0][t][0] + (real) redN[1][t][0] + (real) redN[2][t][0] + (real) redN[3][t][0];
                scale = (float) ((real) 1 / sqrt(sum / (real) k + (real) eps));
            }
            v = red[ly][t][0] * scale + (hasBias ? load_w(bias, bWt, biasOff + j) : 0.0f);
            if (gated) {
                const float u = redU[ly][t][0] * scale + (hasUpBias ? load_w(upBias, ubWt, ubOff + j) : 0.0f);
                v = (float) (strata_act((real) v, act) * (real) u);
            } else if (act != ACT_NONE) {
                v = (float) strata_act((real) v, act);
            }
            fin[ly][t] = v;
        }
        barrier(CLK_LOCAL_MEM_FENCE); // fin holds both halves of every RoPE pair
        if (live && t < rows) {
            const int l = L < rotCols ? L % headDim : rotaryDims;
            if (l < rotaryDims) {
                const float other = fin[ly ^ 1][t];
                const real a = (real) ((l % 2) == 0 ? v : other), b = (real) ((l % 2) == 0 ? other : v);
                const real angle = (real) pos[posOff + i0 + t] * (real) load_w(invFreq, invWt, invOff + l / 2);
                const real cs = cos(angle), sn = sin(angle);
                v = (float) ((l % 2) == 0 ? a * cs - b * sn : b * cs + a * sn);
            }
            if (hasRes) v += res[rOff + (long) (i0 + t) * rStride + j];
            out[oOff + (long) (i0 + t) * oStride + j] = v;
        }
        barrier(CLK_LOCAL_MEM_FENCE); // red, redU and fin are rewritten by the next block of rows
    }
}

#define GEMV_OUT_IN_PARAMS \
        __global const float* x, int xOff, int xStride, \
        __global const void* w, int wWt, int wOff, int wStride, int vec4, \
        __global const void* bias, int bWt, int biasOff, int hasBias, \
        __global const void* up, int uWt, int uOff, int uStride, \
        __global const void* upBias, int ubWt, int ubOff, int hasUpBias, \
        __global const void* norm, int nWt, int nOff, int hasNorm, float eps, int act, \
        __global const int* pos, int posOff, __global const void* invFreq, int invWt, int invOff, \
        int headDim, int rotaryDims, int rotCols, \
        __global const float* res, int rOff, int rStride, int hasRes, \
        __global float* out, int oOff, int oStride, int m, int n, int k
#define GEMV_OUT_IN_ARGS x, xOff, xStride, w, wWt, wOff, wStride, vec4, bias, bWt, biasOff, hasBias, \
        up, uWt, uOff, uStride, upBias, ubWt, ubOff, hasUpBias, norm, nWt, nOff, hasNorm, eps, act, \
        pos, posOff, invFreq, invWt, invOff, headDim, rotaryDims, rotCols, res, rOff, rStride, hasRes, out, oOff, oStride, m, n, k

__kernel __attribute__((reqd_work_group_size(GEMV_THREADS, 1, 1)))
void gemv_out_in(GEMV_OUT_IN_PARAMS) {
    __local float xs[GEMV_ROWS][GEMV_KC];
    __local float red[GEMV_COLS][GEMV_ROWS][GEMV_LANES];
    __local float fin[GEMV_COLS][GEMV_ROWS];
    gemv_out_in_body(0, xs, red, red, fin, GEMV_OUT_IN_ARGS);
}

__kernel __attribute__((reqd_work_group_size(GEMV_THREADS, 1, 1)))
void gemv_out_in_gate(GEMV_OUT_IN_PARAMS) {
    __local float xs[GEMV_ROWS][GEMV_KC];
    __local float red[GEMV_COLS][GEMV_ROWS][GEMV_LANES];
    __local float redU[GEMV_COLS][GEMV_ROWS][GEMV_LANES];
    __local float fin[GEMV_COLS][GEMV_ROWS];
    gemv_out_in_body(1, xs, red, redU, fin, GEMV_OUT_IN_ARGS);
}

__kernel __attribute__((reqd_work_group_size(GEMV_LANES, GEMV_COLS, 1)))
void gemv_in_out(__global const float* x, int xOff, int xStride,
                 __global const void* w, int wWt, int wOff, int wStride,
                 __global const void* bias, int bWt, int biasOff, int hasBias,
                 __global const float* gateIn, int gOff, int gStride, int hasGateIn, int act,
                 __global const float* res, int rOff, int rStride, int hasRes,
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
                out[oOff + (long) (i0 + t) * oStride + j] =
                        mm_epilogue(v, i0 + t, j, gateIn, gOff, gStride, hasGateIn, act, res, rOff, rStride, hasRes);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE); // red is rewritten by the next block of rows
    }
}

__kernel __attribute__((reqd_work_group_size(TILE_N / MICRO, TILE_M / MICRO, 1)))
void matmul_tiled(__global const float* x, int xOff, int xStride,
                  __global const void* w, int wWt, int wOff, int wStride,
                  __global const void* bias, int bWt, int biasOff, int hasBias,
                  __global const float* gateIn, int gOff, int gStride, int hasGateIn, int act,
                  __global const float* res, int rOff, int rStride, int hasRes,
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
            if (i < m) out[oOff + (long) i * oStride + j] = mm_epilogue(acc[a][b] + bv, i, j, gateIn, gOff, gStride, hasGateIn, act, res, rOff, rStride, hasRes);
        }
    }
}
