// Strata OpenCL kernels: KV-cache append and fused attention (float, online softmax).
// KV cache layout per layer: row (slot, position) starts at (slot * capacity + position) * width,
// width = kvHeads * headDim floats (the cache buffers carry no offset).
//
// kv_append: launch local 64, global batch*seqLen*64. Work-group g = b * seqLen + i copies row g
//   of k and v to cache row slots[b] * capacity + past[b] + i. The host validates slots and
//   positions (the CPU reference throws); here an out-of-range row is skipped, never written.
//
// attention: launch local (64, 1), global (batch * blocks * 64, kvHeads * chunks). A work-group
//   serves up to ATT_GH (query row, query head) pairs that share one KV head: hpg query heads of
//   KV head kvh's group (hpg = min(ATT_GH, group), group = heads / kvHeads, chunks =
//   ceil(group / hpg)) times rpg consecutive query rows of one sequence (rpg = min(ATT_GH / hpg,
//   seqLen), blocks = ceil(seqLen / rpg)). Work-group (b * blocks + blk, kvh * chunks + c) has
//   pair p = qi * hpg + hh for query row i = blk * rpg + qi and head h = kvh * group + c * hpg + hh
//   (a pair past seqLen or the group is idle). Each K and V element is loaded once per work-group:
//   once per KV group and rpg rows when group <= ATT_GH (MHA prefill: 8 rows per load, GQA-8: 1).
//   Keys: cached -> cache rows slots[b] * capacity + j for j < past[b] + seqLen (kv_append already
//   ran), query position past[b] + i; uncached -> k/v rows b * kvLen + j for j < kvLen, query
//   position i. Causal: key j visible iff j <= query position. For query row r = b * seqLen + i:
//   score_hj = scale * (q_h . k_j) + (hasMask && j < maskCols ? mask[maskOff + b*maskStride + j] : 0)
//              + (hasBias && j < biasKeyCols ? bias[biasOff + (r*biasKeyCols + j)*biasStride + h] : 0).
//   Keys are processed in tiles of 64 up to the last pair's causal limit: K sub-tiles of
//   ATT_KCHUNK dims go through local memory with coalesced loads, work-item t computes key t's
//   score for every pair (the pairs' q vectors sit in local memory; a key past a pair's own limit
//   scores -inf), running max / sum per pair are updated (online softmax, no score row is ever
//   materialised; the max and sum reductions of all pairs share one tree), then work-items over
//   headDim read each V row once, coalesced, and accumulate p * V for every pair (4 dims per
//   work-item, headDim <= 256). A pair with no finite score writes zeros.
//   Local memory: about 16.5 KB (qs, ks, ps, red below); OpenClDevice.supports checks the built
//   kernel's CL_KERNEL_LOCAL_MEM_SIZE against the device's CL_DEVICE_LOCAL_MEM_SIZE.
//
// attention_prefill: the flash-style kernel for more than ATT_GH query rows (prefill), see below;
// ClLaunchPlans.prefillKernel picks it.

#define ATT_WG 64           // keys per tile == work-items per group (required)
#define ATT_MAX_HD 256
#define ATT_ACC (ATT_MAX_HD / ATT_WG)
#define ATT_KCHUNK 16       // head dims staged per K sub-tile
#define ATT_GH 8            // (query row, query head) pairs per work-group

// The arguments both attention kernels take (ClLaunchPlans.attention builds them once);
// `attention` adds hpg and rpg.
#define ATTENTION_PARAMS \
        __global const float* q, int qOff, int qStride, \
        __global const float* k, int kOff, int kStride, \
        __global const float* v, int vOff, int vStride, \
        __global const float* kc, __global const float* vc, int capacity, int cached, \
        __global const int* past, int pastOff, __global const int* slots, int slotsOff, \
        __global const float* mask, int maskOff, int maskStride, int maskCols, int hasMask, \
        __global const float* bias, int biasOff, int biasStride, int biasKeyCols, int hasBias, \
        __global float* out, int oOff, int oStride, \
        int seqLen, int kvLen, int heads, int kvHeads, int headDim, float scale, int causal

// Where the keys and values of sequence b and KV head kvh live (first element, row stride), how
// many keys it has and the position of its first query row (see the header: cached or uncached).
static void att_sequence_keys(__global const float* k, int kOff, int kStride, __global const float* v, int vOff, int vStride,
                              __global const float* kc, __global const float* vc, int capacity, int cached,
                              __global const int* past, int pastOff, __global const int* slots, int slotsOff,
                              int seqLen, int kvLen, int kvHeads, int headDim, int b, int kvh,
                              __global const float** kBase, __global const float** vBase, long* kRow, long* vRow,
                              int* len, int* pos0) {
    if (cached) {
        const int width = kvHeads * headDim;
        const long row0 = (long) slots[slotsOff + b] * capacity * width + (long) kvh * headDim;
        *kBase = kc + row0;
        *vBase = vc + row0;
        *kRow = width;
        *vRow = width;
        *pos0 = past[pastOff + b];
        *len = *pos0 + seqLen;
    } else {
        *kBase = k + kOff + (long) b * kvLen * kStride + (long) kvh * headDim;
        *vBase = v + vOff + (long) b * kvLen * vStride + (long) kvh * headDim;
        *kRow = kStride;
        *vRow = vStride;
        *pos0 = 0;
        *len = kvLen;
    }
}

__kernel void kv_append(__global const float* k, int kOff, int kStride,
                        __global const float* v, int vOff, int vStride,
                        __global const int* past, int pastOff,
                        __global const int* slots, int slotsOff,
                        __global float* kc, __global float* vc,
                        int capacity, int width, int seqLen) {
    const int g = get_group_id(0);
    const int lid = get_local_id(0), ls = get_local_size(0);
    const int b = g / seqLen, i = g % seqLen;
    const int slot = slots[slotsOff + b], p = past[pastOff + b] + i;
    if (slot < 0 || p < 0 || p >= capacity) return;
    const long dst = ((long) slot * capacity + p) * width;
    __global const float* kr = k + kOff + (long) g * kStride;
    __global const float* vr = v + vOff + (long) g * vStride;
    for (int c = lid; c < width; c += ls) {
        kc[dst + c] = kr[c];
        vc[dst + c] = vr[c];
    }
}

// red[p][0] = max (sum when !isMax) over the work-group of red[p][lid], for all pairs p at once.
static void att_reduce(__local float (*red)[ATT_WG], int lid, int isMax) {
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = ATT_WG / 2; s > 0; s >>= 1) {
        if (lid < s)
            for (int hh = 0; hh < ATT_GH; hh++)
                red[hh][lid] = isMax ? fmax(red[hh][lid], red[hh][lid + s]) : red[hh][lid] + red[hh][lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

__kernel __attribute__((reqd_work_group_size(ATT_WG, 1, 1)))
void attention(ATTENTION_PARAMS, int hpg, int rpg) {
    __local float qs[ATT_GH][ATT_MAX_HD];
    __local float ks[ATT_WG][ATT_KCHUNK + 1];
    __local float ps[ATT_GH][ATT_WG];
    __local float red[ATT_GH][ATT_WG];

    const int lid = get_local_id(0);
    const int blocks = (seqLen + rpg - 1) / rpg;
    const int b = get_group_id(0) / blocks, i0 = get_group_id(0) % blocks * rpg;
    const int group = heads / kvHeads, chunks = (group + hpg - 1) / hpg;
    const int kvh = get_group_id(1) / chunks, c = get_group_id(1) % chunks;
    const int hBase = kvh * group + c * hpg;

    // Where the keys/values of sequence b live; query row i sits at position pos0 + i.
    __global const float* kBase;
    __global const float* vBase;
    long kRow, vRow;
    int len, pos0;
    att_sequence_keys(k, kOff, kStride, v, vOff, vStride, kc, vc, capacity, cached, past, pastOff, slots, slotsOff,
                      seqLen, kvLen, kvHeads, headDim, b, kvh, &kBase, &vBase, &kRow, &vRow, &len, &pos0);

    // Pair p: query row b * seqLen + i0 + p / hpg, head hBase + p % hpg; keys j < lim[p] visible.
    int row[ATT_GH], head[ATT_GH], lim[ATT_GH];
    int nMax = 0;
    for (int p = 0; p < ATT_GH; p++) {
        const int i = i0 + p / hpg, hh = p % hpg;
        const bool live = p < rpg * hpg && i < seqLen && c * hpg + hh < group;
        row[p] = b * seqLen + i;
        head[p] = hBase + hh;
        lim[p] = live ? (causal ? min(len, pos0 + i + 1) : len) : 0;
        nMax = max(nMax, lim[p]);
    }

    for (int e = lid; e < ATT_GH * headDim; e += ATT_WG) {
        const int p = e / headDim, d = e % headDim;
        const int i = i0 + p / hpg, hh = p % hpg;
        const bool live = p < rpg * hpg && i < seqLen && c * hpg + hh < group;
        qs[p][d] = live ? q[qOff + (long) (b * seqLen + i) * qStride + (long) (hBase + hh) * headDim + d] : 0.0f;
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    float acc[ATT_GH][ATT_ACC];
    float mRun[ATT_GH], lRun[ATT_GH];
    for (int p = 0; p < ATT_GH; p++) {
        for (int a = 0; a < ATT_ACC; a++) acc[p][a] = 0.0f;
        mRun[p] = -INFINITY;
        lRun[p] = 0.0f;
    }

    for (int j0 = 0; j0 < nMax; j0 += ATT_WG) {
        const int tileN = min(ATT_WG, nMax - j0);
        // Scores: work-item t owns key j0 + t for every pair; K staged in ATT_KCHUNK-dim slices.
        float dot[ATT_GH];
        for (int p = 0; p < ATT_GH; p++) dot[p] = 0.0f;
        for (int d0 = 0; d0 < headDim; d0 += ATT_KCHUNK) {
            for (int e = lid; e < ATT_WG * ATT_KCHUNK; e += ATT_WG) {
                const int key = e / ATT_KCHUNK, dd = e % ATT_KCHUNK;
                ks[key][dd] = (key < tileN && d0 + dd < headDim) ? kBase[(long) (j0 + key) * kRow + d0 + dd] : 0.0f;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            const int dEnd = min(ATT_KCHUNK, headDim - d0);
            for (int dd = 0; dd < dEnd; dd++) {
                const float kv = ks[lid][dd];
                for (int p = 0; p < ATT_GH; p++) dot[p] += qs[p][d0 + dd] * kv;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        const int j = j0 + lid;
        float extra = 0.0f;
        if (lid < tileN && hasMask && j < maskCols) extra = mask[maskOff + (long) b * maskStride + j];
        float sc[ATT_GH];
        for (int p = 0; p < ATT_GH; p++) {
            float s = -INFINITY;
            if (j < lim[p]) {
                s = dot[p] * scale + extra;
                if (hasBias && j < biasKeyCols) s += bias[biasOff + ((long) row[p] * biasKeyCols + j) * biasStride + head[p]];
            }
            sc[p] = s;
            red[p][lid] = s;
        }
        att_reduce(red, lid, 1);
        float corr[ATT_GH];
        for (int p = 0; p < ATT_GH; p++) {
            const float mNew = fmax(mRun[p], red[p][0]);
            const float e = (sc[p] == -INFINITY) ? 0.0f : exp(sc[p] - mNew);
            corr[p] = (mRun[p] == -INFINITY) ? 0.0f : exp(mRun[p] - mNew);
            mRun[p] = mNew;
            sc[p] = e;
        }
        barrier(CLK_LOCAL_MEM_FENCE); // every work-item has read the maxima
        for (int p = 0; p < ATT_GH; p++) {
            ps[p][lid] = sc[p];
            red[p][lid] = sc[p];
        }
        att_reduce(red, lid, 0); // its barriers also publish ps
        for (int p = 0; p < ATT_GH; p++) {
            lRun[p] = lRun[p] * corr[p] + red[p][0];
            for (int a = 0; a < ATT_ACC; a++) acc[p][a] *= corr[p];
        }
        // Weighted V: work-item owns dims lid, lid+64, ...; each V row is read once for all pairs.
        for (int t = 0; t < tileN; t++) {
            __global const float* vr = vBase + (long) (j0 + t) * vRow;
            float vv[ATT_ACC];
            for (int a = 0; a < ATT_ACC; a++) {
                const int d = lid + a * ATT_WG;
                vv[a] = d < headDim ? vr[d] : 0.0f;
            }
            for (int p = 0; p < ATT_GH; p++) {
                const float pt = ps[p][t];
                for (int a = 0; a < ATT_ACC; a++) acc[p][a] += pt * vv[a];
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE); // ps and red are rewritten by the next tile
    }

    for (int p = 0; p < ATT_GH; p++) { // constant bound: acc stays in registers
        if (lim[p] == 0) continue;
        __global float* orow = out + oOff + (long) row[p] * oStride + (long) head[p] * headDim;
        for (int a = 0; a < ATT_ACC; a++) {
            const int d = lid + a * ATT_WG;
            if (d < headDim) orow[d] = (lRun[p] == 0.0f) ? 0.0f : acc[p][a] / lRun[p];
        }
    }
}

// attention_prefill: the same attention (arguments, cached/uncached keys, causal, mask, bias and
// empty rows as `attention` above) for prefill-sized query blocks, flash-attention style: a
// work-group owns FA_BQ = 64 consecutive query rows of one sequence and one query head (KV head
// h / group) and walks the visible keys in tiles of FA_BK = 64. Launch: local (16, 16), global
// (16 * batch * blocks, 16 * heads), blocks = ceil(seqLen / 64); work-group (b * blocks + blk, h).
// Requires headDim <= FA_MAXD (128).
//   S = Q·K^T of a tile: work-item (tx, ty) computes the 4 x 4 scores of rows ty + 16a and keys
//     tx + 16b from Q and K sub-tiles of FA_DC = 16 dims staged in local memory (register blocking
//     as matmul_tiled), then scales, masks and adds mask/bias, and writes them to ps.
//   Online softmax: four work-items per row each take 16 of the tile's keys; the row's running
//     max, the p = exp(s - max) (written over the scores) and the running sum are combined in
//     local memory. No score row beyond the current tile is ever stored.
//   O += P·V: the same work-item owns output rows ty + 16a and dims tx + 16c (c < 8); V rows are
//     staged 16 keys at a time in the local memory the Q/K sub-tiles used.
// Each K and V tile is read once per work-group (64 query rows); the output is O / sum per row.
// Local memory: about 28 KB.

#define FA_BQ 64
#define FA_BK 64
#define FA_DC 16
#define FA_MAXD 128
#define FA_ACC (FA_MAXD / 16)
#define FA_VK 16 // V rows per staged chunk

__kernel __attribute__((reqd_work_group_size(16, 16, 1)))
void attention_prefill(ATTENTION_PARAMS) {
    __local float qk[2 * FA_DC * (FA_BQ + 1)];   // qs[FA_DC][FA_BQ + 1], ks[FA_DC][FA_BK + 1]; later vs[FA_VK][FA_MAXD]
    __local float ps[FA_BQ][FA_BK + 1];          // scores, then probabilities, of the current tile
    __local float pmax[FA_BQ][4], psum[FA_BQ][4];
    __local float mrow[FA_BQ], lrow[FA_BQ], crow[FA_BQ];
    __local float (*qs)[FA_BQ + 1] = (__local float (*)[FA_BQ + 1]) qk;
    __local float (*ks)[FA_BK + 1] = (__local float (*)[FA_BK + 1]) (qk + FA_DC * (FA_BQ + 1));
    __local float (*vs)[FA_MAXD] = (__local float (*)[FA_MAXD]) qk;

    const int tx = get_local_id(0), ty = get_local_id(1), tid = ty * 16 + tx;
    const int blocks = (seqLen + FA_BQ - 1) / FA_BQ;
    const int b = get_group_id(0) / blocks, i0 = get_group_id(0) % blocks * FA_BQ;
    const int h = get_group_id(1), kvh = h / (heads / kvHeads);

    __global const float* kBase;
    __global const float* vBase;
    long kRow, vRow;
    int len, pos0;
    att_sequence_keys(k, kOff, kStride, v, vOff, vStride, kc, vc, capacity, cached, past, pastOff, slots, slotsOff,
                      seqLen, kvLen, kvHeads, headDim, b, kvh, &kBase, &vBase, &kRow, &vRow, &len, &pos0);
    __global const float* qBase = q + qOff + (long) (b * seqLen) * qStride + (long) h * headDim;
    const int lastRow = min(seqLen, i0 + FA_BQ) - 1;
    const int nMax = causal ? min(len, pos0 + lastRow + 1) : len;

    if (tid < FA_BQ) {
        mrow[tid] = -INFINITY;
        lrow[tid] = 0.0f;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    float o[4][FA_ACC];
    for (int a = 0; a < 4; a++)
        for (int c = 0; c < FA_ACC; c++) o[a][c] = 0.0f;

    for (int j0 = 0; j0 < nMax; j0 += FA_BK) {
        float s[4][4];
        for (int a = 0; a < 4; a++)
            for (int bb = 0; bb < 4; bb++) s[a][bb] = 0.0f;
        for (int d0 = 0; d0 < headDim; d0 += FA_DC) {
            for (int e = tid; e < FA_BQ * FA_DC; e += 256) { // 16 consecutive work-items on 16 dims of one row
                const int r = e / FA_DC, dd = e % FA_DC, d = d0 + dd;
                qs[dd][r] = (i0 + r < seqLen && d < headDim) ? qBase[(long) (i0 + r) * qStride + d] : 0.0f;
                ks[dd][r] = (j0 + r < len && d < headDim) ? kBase[(long) (j0 + r) * kRow + d] : 0.0f;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            for (int dd = 0; dd < FA_DC; dd++) {
                float qa[4], kb[4];
                for (int a = 0; a < 4; a++) qa[a] = qs[dd][ty + 16 * a];
                for (int bb = 0; bb < 4; bb++) kb[bb] = ks[dd][tx + 16 * bb];
                for (int a = 0; a < 4; a++)
                    for (int bb = 0; bb < 4; bb++) s[a][bb] = fma(qa[a], kb[bb], s[a][bb]);
            }
            barrier(CLK_LOCAL_MEM_FENCE); // qs/ks are restaged (and later reused as vs)
        }
        for (int a = 0; a < 4; a++) {
            const int r = ty + 16 * a, i = i0 + r;
            const int lim = i < seqLen ? (causal ? min(len, pos0 + i + 1) : len) : 0;
            for (int bb = 0; bb < 4; bb++) {
                const int j = j0 + tx + 16 * bb;
                float sc = -INFINITY;
                if (j < lim) {
                    sc = s[a][bb] * scale;
                    if (hasMask && j < maskCols) sc += mask[maskOff + (long) b * maskStride + j];
                    if (hasBias && j < biasKeyCols) sc += bias[biasOff + ((long) (b * seqLen + i) * biasKeyCols + j) * biasStride + h];
                }
                ps[r][tx + 16 * bb] = sc;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        { // online softmax: row r's keys part * 16 .. part * 16 + 15
            const int r = tid / 4, part = tid % 4;
            float mx = -INFINITY;
            for (int t = 0; t < 16; t++) mx = fmax(mx, ps[r][part * 16 + t]);
            pmax[r][part] = mx;
            barrier(CLK_LOCAL_MEM_FENCE);
            const float mOld = mrow[r];
            const float mNew = fmax(mOld, fmax(fmax(pmax[r][0], pmax[r][1]), fmax(pmax[r][2], pmax[r][3])));
            float sum = 0.0f;
            for (int t = 0; t < 16; t++) {
                const float sc = ps[r][part * 16 + t];
                const float p = sc == -INFINITY ? 0.0f : exp(sc - mNew);
                ps[r][part * 16 + t] = p;
                sum += p;
            }
            psum[r][part] = sum;
            barrier(CLK_LOCAL_MEM_FENCE); // every part has read mrow[r]
            if (part == 0) {
                const float corr = mOld == -INFINITY ? 0.0f : exp(mOld - mNew);
                lrow[r] = lrow[r] * corr + (psum[r][0] + psum[r][1]) + (psum[r][2] + psum[r][3]);
                mrow[r] = mNew;
                crow[r] = corr;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        for (int a = 0; a < 4; a++) {
            const float corr = crow[ty + 16 * a];
            for (int c = 0; c < FA_ACC; c++) o[a][c] *= corr;
        }
        for (int t0 = 0; t0 < FA_BK; t0 += FA_VK) {
            for (int e = tid; e < FA_VK * FA_MAXD; e += 256) {
                const int t = e / FA_MAXD, d = e % FA_MAXD, j = j0 + t0 + t;
                vs[t][d] = (j < len && d < headDim) ? vBase[(long) j * vRow + d] : 0.0f;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            for (int t = 0; t < FA_VK; t++) {
                float vv[FA_ACC];
                for (int c = 0; c < FA_ACC; c++) vv[c] = vs[t][tx + 16 * c];
                for (int a = 0; a < 4; a++) {
                    const float p = ps[ty + 16 * a][t0 + t];
                    for (int c = 0; c < FA_ACC; c++) o[a][c] = fma(p, vv[c], o[a][c]);
                }
            }
            barrier(CLK_LOCAL_MEM_FENCE); // vs is restaged; after the last chunk, qs/ks and ps are rewritten
        }
    }

    for (int a = 0; a < 4; a++) {
        const int r = ty + 16 * a, i = i0 + r;
        if (i >= seqLen) continue;
        const float l = lrow[r];
        __global float* orow = out + oOff + (long) (b * seqLen + i) * oStride + (long) h * headDim;
        for (int c = 0; c < FA_ACC; c++) {
            const int d = tx + 16 * c;
            if (d < headDim) orow[d] = l == 0.0f ? 0.0f : o[a][c] / l;
        }
    }
}
