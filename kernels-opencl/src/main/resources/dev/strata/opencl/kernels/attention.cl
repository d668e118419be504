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

#define ATT_WG 64           // keys per tile == work-items per group (required)
#define ATT_MAX_HD 256
#define ATT_ACC (ATT_MAX_HD / ATT_WG)
#define ATT_KCHUNK 16       // head dims staged per K sub-tile
#define ATT_GH 8            // (query row, query head) pairs per work-group

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
void attention(__global const float* q, int qOff, int qStride,
               __global const float* k, int kOff, int kStride,
               __global const float* v, int vOff, int vStride,
               __global const float* kc, __global const float* vc,
               int capacity, int cached,
               __global const int* past, int pastOff,
               __global const int* slots, int slotsOff,
               __global const float* mask, int maskOff, int maskStride, int maskCols, int hasMask,
               __global const float* bias, int biasOff, int biasStride, int biasKeyCols, int hasBias,
               __global float* out, int oOff, int oStride,
               int seqLen, int kvLen, int heads, int kvHeads, int headDim, float scale, int causal, int hpg, int rpg) {
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
    if (cached) {
        const int width = kvHeads * headDim;
        const long row0 = (long) slots[slotsOff + b] * capacity * width;
        kBase = kc + row0;
        vBase = vc + row0;
        kRow = width;
        vRow = width;
        pos0 = past[pastOff + b];
        len = pos0 + seqLen;
    } else {
        kBase = k + kOff + (long) b * kvLen * kStride;
        vBase = v + vOff + (long) b * kvLen * vStride;
        kRow = kStride;
        vRow = vStride;
        pos0 = 0;
        len = kvLen;
    }
    kBase += (long) kvh * headDim;
    vBase += (long) kvh * headDim;

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
