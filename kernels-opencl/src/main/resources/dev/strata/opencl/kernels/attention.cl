// Strata OpenCL kernels: KV-cache append and fused attention (float, online softmax).
// KV cache layout per layer: row (slot, position) starts at (slot * capacity + position) * width,
// width = kvHeads * headDim floats (the cache buffers carry no offset).
//
// kv_append: launch local 64, global batch*seqLen*64. Work-group g = b * seqLen + i copies row g
//   of k and v to cache row slots[b] * capacity + past[b] + i. The host validates slots and
//   positions (the CPU reference throws); here an out-of-range row is skipped, never written.
//
// attention: launch local (64, 1), global (batch*seqLen*64, kvHeads * chunks), chunks =
//   ceil(group / ATT_GH), group = heads / kvHeads. Work-group (r, kvh * chunks + c) with
//   r = b * seqLen + i computes query row r for the query heads h = kvh * group + c * ATT_GH + hh,
//   hh < min(ATT_GH, group - c * ATT_GH), all of which read KV head kvh (GQA/MQA): each K and V
//   element is loaded once per ATT_GH query heads — once per KV group when group <= ATT_GH.
//   Keys: cached -> cache rows slots[b] * capacity + j for j < past[b] + seqLen (kv_append already
//   ran), query position past[b] + i; uncached -> k/v rows b * kvLen + j for j < kvLen, query
//   position i. Causal: key j visible iff j <= query position.
//   score_hj = scale * (q_h . k_j) + (hasMask && j < maskCols ? mask[maskOff + b*maskStride + j] : 0)
//              + (hasBias && j < biasKeyCols ? bias[biasOff + (r*biasKeyCols + j)*biasStride + h] : 0).
//   Keys are processed in tiles of 64: K sub-tiles of ATT_KCHUNK dims go through local memory with
//   coalesced loads, work-item t computes key t's score for every head of the chunk (the chunk's
//   q rows sit in local memory), running max / sum per head are updated (online softmax, no score
//   row is ever materialised; the max and sum reductions of all heads share one tree), then
//   work-items over headDim read each V row once, coalesced, and accumulate p_h * V for every
//   head (4 dims per work-item, headDim <= 256). A head's row with no finite score writes zeros.
//   Local memory: about 16.5 KB (qs, ks, ps, red below); OpenClDevice.supports checks the built
//   kernel's CL_KERNEL_LOCAL_MEM_SIZE against the device's CL_DEVICE_LOCAL_MEM_SIZE.

#define ATT_WG 64           // keys per tile == work-items per group (required)
#define ATT_MAX_HD 256
#define ATT_ACC (ATT_MAX_HD / ATT_WG)
#define ATT_KCHUNK 16       // head dims staged per K sub-tile
#define ATT_GH 8            // query heads per work-group (one KV head's group, or a chunk of it)

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

// red[hh][0] = max (sum when !isMax) over the work-group of red[hh][lid], for all hh at once.
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
               int seqLen, int kvLen, int heads, int kvHeads, int headDim, float scale, int causal) {
    __local float qs[ATT_GH][ATT_MAX_HD];
    __local float ks[ATT_WG][ATT_KCHUNK + 1];
    __local float ps[ATT_GH][ATT_WG];
    __local float red[ATT_GH][ATT_WG];

    const int r = get_group_id(0);
    const int lid = get_local_id(0);
    const int b = r / seqLen, i = r % seqLen;
    const int group = heads / kvHeads, chunks = (group + ATT_GH - 1) / ATT_GH;
    const int kvh = get_group_id(1) / chunks, c = get_group_id(1) % chunks;
    const int h0 = kvh * group + c * ATT_GH, gh = min(ATT_GH, group - c * ATT_GH);

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

    __global const float* qr = q + qOff + (long) r * qStride + (long) h0 * headDim;
    for (int e = lid; e < gh * headDim; e += ATT_WG) qs[e / headDim][e % headDim] = qr[e];
    barrier(CLK_LOCAL_MEM_FENCE);

    float acc[ATT_GH][ATT_ACC];
    float mRun[ATT_GH], lRun[ATT_GH];
    for (int hh = 0; hh < ATT_GH; hh++) {
        for (int a = 0; a < ATT_ACC; a++) acc[hh][a] = 0.0f;
        mRun[hh] = -INFINITY;
        lRun[hh] = 0.0f;
    }

    for (int j0 = 0; j0 < n; j0 += ATT_WG) {
        const int tileN = min(ATT_WG, n - j0);
        // Scores: work-item t owns key j0 + t for every head; K staged in ATT_KCHUNK-dim slices.
        float dot[ATT_GH];
        for (int hh = 0; hh < ATT_GH; hh++) dot[hh] = 0.0f;
        for (int d0 = 0; d0 < headDim; d0 += ATT_KCHUNK) {
            for (int e = lid; e < ATT_WG * ATT_KCHUNK; e += ATT_WG) {
                const int key = e / ATT_KCHUNK, dd = e % ATT_KCHUNK;
                ks[key][dd] = (key < tileN && d0 + dd < headDim) ? kBase[(long) (j0 + key) * kRow + d0 + dd] : 0.0f;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            const int dEnd = min(ATT_KCHUNK, headDim - d0);
            for (int dd = 0; dd < dEnd; dd++) {
                const float kv = ks[lid][dd];
                for (int hh = 0; hh < ATT_GH; hh++)
                    if (hh < gh) dot[hh] += qs[hh][d0 + dd] * kv;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        const int j = j0 + lid;
        float extra = 0.0f;
        if (lid < tileN && hasMask && j < maskCols) extra = mask[maskOff + (long) b * maskStride + j];
        float sc[ATT_GH];
        for (int hh = 0; hh < ATT_GH; hh++) {
            float s = -INFINITY;
            if (lid < tileN && hh < gh) {
                s = dot[hh] * scale + extra;
                if (hasBias && j < biasKeyCols) s += bias[biasOff + ((long) r * biasKeyCols + j) * biasStride + h0 + hh];
            }
            sc[hh] = s;
            red[hh][lid] = s;
        }
        att_reduce(red, lid, 1);
        float corr[ATT_GH];
        for (int hh = 0; hh < ATT_GH; hh++) {
            const float mNew = fmax(mRun[hh], red[hh][0]);
            const float p = (sc[hh] == -INFINITY) ? 0.0f : exp(sc[hh] - mNew);
            corr[hh] = (mRun[hh] == -INFINITY) ? 0.0f : exp(mRun[hh] - mNew);
            mRun[hh] = mNew;
            sc[hh] = p;
        }
        barrier(CLK_LOCAL_MEM_FENCE); // every work-item has read the maxima
        for (int hh = 0; hh < ATT_GH; hh++) {
            ps[hh][lid] = sc[hh];
            red[hh][lid] = sc[hh];
        }
        att_reduce(red, lid, 0); // its barriers also publish ps
        for (int hh = 0; hh < ATT_GH; hh++) {
            lRun[hh] = lRun[hh] * corr[hh] + red[hh][0];
            for (int a = 0; a < ATT_ACC; a++) acc[hh][a] *= corr[hh];
        }
        // Weighted V: work-item owns dims lid, lid+64, ...; each V row is read once for all heads.
        for (int t = 0; t < tileN; t++) {
            __global const float* vr = vBase + (long) (j0 + t) * vRow;
            float vv[ATT_ACC];
            for (int a = 0; a < ATT_ACC; a++) {
                const int d = lid + a * ATT_WG;
                vv[a] = d < headDim ? vr[d] : 0.0f;
            }
            for (int hh = 0; hh < ATT_GH; hh++) {
                const float pt = ps[hh][t];
                for (int a = 0; a < ATT_ACC; a++) acc[hh][a] += pt * vv[a];
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE); // ps and red are rewritten by the next tile
    }

    for (int hh = 0; hh < ATT_GH; hh++) { // constant bound: acc stays in registers
        if (hh >= gh) break;
        __global float* orow = out + oOff + (long) r * oStride + (long) (h0 + hh) * headDim;
        for (int a = 0; a < ATT_ACC; a++) {
            const int d = lid + a * ATT_WG;
            if (d < headDim) orow[d] = (lRun[hh] == 0.0f) ? 0.0f : acc[hh][a] / lRun[hh];
        }
    }
}
