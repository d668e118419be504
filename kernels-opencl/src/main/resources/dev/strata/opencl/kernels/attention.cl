// Strata OpenCL kernels: KV-cache append and fused attention (float, online softmax).
// KV cache layout per layer: row (slot, position) starts at (slot * capacity + position) * width,
// width = kvHeads * headDim floats (the cache buffers carry no offset).
//
// kv_append: launch local 64, global batch*seqLen*64. Work-group g = b * seqLen + i copies row g
//   of k and v to cache row slots[b] * capacity + past[b] + i. The host validates slots and
//   positions (the CPU reference throws); here an out-of-range row is skipped, never written.
//
// attention: launch local (64, 1), global (batch*seqLen*64, heads). Work-group (r, h) with
//   r = b * seqLen + i computes query row r, head h, reading KV head h / (heads / kvHeads) (GQA).
//   Keys: cached -> cache rows slots[b] * capacity + j for j < past[b] + seqLen (kv_append already
//   ran), query position past[b] + i; uncached -> k/v rows b * seqLen + j for j < seqLen, query
//   position i. Causal: key j visible iff j <= query position.
//   score_j = scale * (q . k_j) + (hasMask && j < maskCols ? mask[maskOff + b*maskStride + j] : 0).
//   Keys are processed in tiles of 64: K sub-tiles go through local memory with coalesced loads,
//   each work-item computes one score, the running max / sum are updated (online softmax, no score
//   row is ever materialised), then work-items over headDim accumulate p * V (4 accumulators each,
//   headDim <= 256, coalesced V reads). A row with no finite score writes zeros.

#define ATT_WG 64           // keys per tile == work-items per group (required)
#define ATT_MAX_HD 256
#define ATT_ACC (ATT_MAX_HD / ATT_WG)
#define ATT_KCHUNK 16       // head dims staged per K sub-tile

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

static float att_reduce_max(__local float* red, float v, int lid) {
    red[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = ATT_WG / 2; s > 0; s >>= 1) {
        if (lid < s) red[lid] = fmax(red[lid], red[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float res = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return res;
}

static float att_reduce_sum(__local float* red, float v, int lid) {
    red[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = ATT_WG / 2; s > 0; s >>= 1) {
        if (lid < s) red[lid] += red[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float res = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return res;
}

__kernel void attention(__global const float* q, int qOff, int qStride,
                        __global const float* k, int kOff, int kStride,
                        __global const float* v, int vOff, int vStride,
                        __global const float* kc, __global const float* vc,
                        int capacity, int cached,
                        __global const int* past, int pastOff,
                        __global const int* slots, int slotsOff,
                        __global const float* mask, int maskOff, int maskStride, int maskCols, int hasMask,
                        __global const float* bias, int biasOff, int biasStride, int biasKeyCols, int hasBias,
                        __global float* out, int oOff, int oStride,
                        int seqLen, int kvLen, int heads, int kvHeads, int headDim, float scale, int causal) {
    __local float qs[ATT_MAX_HD];
    __local float ks[ATT_WG][ATT_KCHUNK + 1];
    __local float ps[ATT_WG];
    __local float red[ATT_WG];

    const int r = get_group_id(0), h = get_group_id(1);
    const int lid = get_local_id(0);
    const int b = r / seqLen, i = r % seqLen;
    const int kvh = h / (heads / kvHeads);

    // Where the keys/values of sequence b live.
    __global const float* kBase;
    __global const float* vBase;
    long kRow, vRow;
    int len, qpos;
    if (cached) {
        const int width = kvHeads * headDim;
        const long row0 = (long) slots[slotsOff + b] * capacity * width;
        kBase = kc + row0;
        vBase = vc + row0;
        kRow = width;
        vRow = width;
        qpos = past[pastOff + b] + i;
        len = past[pastOff + b] + seqLen;
    } else {
        kBase = k + kOff + (long) b * kvLen * kStride;
        vBase = v + vOff + (long) b * kvLen * vStride;
        kRow = kStride;
        vRow = vStride;
        qpos = i;
        len = kvLen;
    }
    kBase += (long) kvh * headDim;
    vBase += (long) kvh * headDim;
    const int n = causal ? min(len, qpos + 1) : len;

    __global const float* qr = q + qOff + (long) r * qStride + (long) h * headDim;
    for (int d = lid; d < headDim; d += ATT_WG) qs[d] = qr[d];
    barrier(CLK_LOCAL_MEM_FENCE);

    float acc[ATT_ACC];
    for (int a = 0; a < ATT_ACC; a++) acc[a] = 0.0f;
    float mRun = -INFINITY, lRun = 0.0f;

    for (int j0 = 0; j0 < n; j0 += ATT_WG) {
        const int tileN = min(ATT_WG, n - j0);
        // Scores: work-item t owns key j0 + t; K staged in ATT_KCHUNK-dim slices, coalesced.
        float dot = 0.0f;
        for (int d0 = 0; d0 < headDim; d0 += ATT_KCHUNK) {
            for (int e = lid; e < ATT_WG * ATT_KCHUNK; e += ATT_WG) {
                const int key = e / ATT_KCHUNK, dd = e % ATT_KCHUNK;
                ks[key][dd] = (key < tileN && d0 + dd < headDim) ? kBase[(long) (j0 + key) * kRow + d0 + dd] : 0.0f;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            const int dEnd = min(ATT_KCHUNK, headDim - d0);
            for (int dd = 0; dd < dEnd; dd++) dot += qs[d0 + dd] * ks[lid][dd];
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        float s = -INFINITY;
        if (lid < tileN) {
            const int j = j0 + lid;
            s = dot * scale;
            if (hasMask && j < maskCols) s += mask[maskOff + (long) b * maskStride + j];
            if (hasBias && j < biasKeyCols) s += bias[biasOff + ((long) r * biasKeyCols + j) * biasStride + h];
        }
        const float mNew = fmax(mRun, att_reduce_max(red, s, lid));
        if (mNew == -INFINITY) continue; // nothing finite yet: uniform across the group
        const float p = (s == -INFINITY) ? 0.0f : exp(s - mNew);
        const float corr = (mRun == -INFINITY) ? 0.0f : exp(mRun - mNew);
        ps[lid] = p;
        const float tileSum = att_reduce_sum(red, p, lid); // its barriers also publish ps
        lRun = lRun * corr + tileSum;
        mRun = mNew;
        // Weighted V: work-item owns dims lid, lid+64, ...; V rows read coalesced.
        for (int a = 0; a < ATT_ACC; a++) acc[a] *= corr;
        for (int t = 0; t < tileN; t++) {
            const float pt = ps[t];
            if (pt == 0.0f) continue;
            __global const float* vr = vBase + (long) (j0 + t) * vRow;
            for (int a = 0; a < ATT_ACC; a++) {
                const int d = lid + a * ATT_WG;
                if (d < headDim) acc[a] += pt * vr[d];
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE); // ps is rewritten by the next tile
    }

    __global float* orow = out + oOff + (long) r * oStride + (long) h * headDim;
    for (int a = 0; a < ATT_ACC; a++) {
        const int d = lid + a * ATT_WG;
        if (d < headDim) orow[d] = (lRun == 0.0f) ? 0.0f : acc[a] / lRun;
    }
}
