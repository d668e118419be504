// Runs attention.cu's decode kernels (attention_decode_f32 after kv_append_f32, and
// attention_decode_append_f32, which appends the step's key and value itself) under the host
// emulation (host_emu.h) on a machine without a GPU, against a float64 reference: one new token per
// sequence, its query heads grouped over the KV heads (MHA, GQA, MQA), keys in a slot of a KV cache
// (slots permuted, ragged lengths: the first token of a sequence, a full cache), an additive padding
// mask shorter than the keys, a per-head position bias. Each shape runs split 1 to 64 ways per
// (sequence, KV head) (AttentionCuda.splits and strata.cuda.decodeKeysPerSplit decide how many; more
// splits than keys leaves some empty), so the last block's merge of the splits (combine_if_last) is
// checked at every count; the split counters must be zero again after every launch. Head sizes take
// every variant of the dispatch (16-byte loads at 64, 128 and 256 dims, and the scalar path).
// Usage: attention_emu_check   (exit 0: every output within 1e-5 of the largest reference value,
// relative, per launch)
#include "../../emu/host_emu.h"

#include "../../main/cuda/attention.cu"

#include <chrono>
#include <string>

namespace {

struct Shape {
    int batch, heads, kvHeads, headDim, capacity;
};

int failures = 0, launches = 0;
std::mt19937_64 rng(11);

void check(const Shape& sh, int splits, bool append, bool masked, bool biased, int threads, emu::Schedule schedule) {
    std::normal_distribution<float> normal(0.f, 1.f);
    const int B = sh.batch, H = sh.heads, KVH = sh.kvHeads, D = sh.headDim, cap = sh.capacity, width = KVH * D, G = H / KVH;
    const float scale = 1.f / std::sqrt((float)D);
    // sequence b sits in slot slots[b] (of B + 1 slots) with past[b] keys cached before this step
    std::vector<int> slots(B), past(B);
    for (int b = 0; b < B; b++) {
        slots[b] = B - b;
        past[b] = b == 0 ? cap - 1 : b == 1 ? 0 : (int)(rng() % cap);
    }
    std::vector<float> kCache((size_t)(B + 1) * cap * width), vCache(kCache.size());
    for (float& v : kCache) v = normal(rng);
    for (float& v : vCache) v = normal(rng);
    const int qStride = H * D + 3, kStride = width + 5;  // rows wider than their heads (a stacked q/k/v's views)
    std::vector<float> q((size_t)B * qStride), k((size_t)B * kStride), v((size_t)B * kStride);
    for (float& x : q) x = normal(rng) * 2.f;
    for (float& x : k) x = normal(rng);
    for (float& x : v) x = normal(rng);
    // the mask covers fewer columns than the longest sequence's keys; the bias [B][keys][H]
    const int maskCols = cap - 2, maskStride = cap, biasKeyCols = cap, biasStride = H;
    std::vector<float> mask((size_t)B * maskStride, 0.f), bias((size_t)B * biasKeyCols * biasStride);
    for (int b = 0; b < B; b++)
        for (int j = 0; j < maskCols; j++)
            if (j % 7 == 3) mask[(size_t)b * maskStride + j] = -INFINITY;
    for (float& x : bias) x = normal(rng) * 0.5f;

    // float64 reference (the new key and value at position past[b])
    std::vector<double> ref((size_t)B * H * D, 0.0);
    for (int b = 0; b < B; b++) {
        const int len = past[b] + 1;
        for (int h = 0; h < H; h++) {
            const int kvh = h / G;
            std::vector<double> sc(len);
            double mx = -INFINITY;
            for (int j = 0; j < len; j++) {
                const float* kj = j == len - 1 ? &k[(size_t)b * kStride + kvh * D] : &kCache[((size_t)slots[b] * cap + j) * width + kvh * D];
                double s = 0;
                for (int d = 0; d < D; d++) s += (double)q[(size_t)b * qStride + h * D + d] * scale * kj[d];
                if (masked && j < maskCols) s += mask[(size_t)b * maskStride + j];
                if (biased && j < biasKeyCols) s += bias[((size_t)b * biasKeyCols + j) * biasStride + h];
                sc[j] = s;
                mx = std::max(mx, s);
            }
            if (mx == -INFINITY) continue;  // every key masked: zeros
            double l = 0;
            for (int j = 0; j < len; j++) l += sc[j] = std::exp(sc[j] - mx);
            for (int j = 0; j < len; j++) {
                const float* vj = j == len - 1 ? &v[(size_t)b * kStride + kvh * D] : &vCache[((size_t)slots[b] * cap + j) * width + kvh * D];
                for (int d = 0; d < D; d++) ref[((size_t)b * H + h) * D + d] += sc[j] / l * vj[d];
            }
        }
    }
    double largest = 0;
    for (double x : ref) largest = std::max(largest, std::fabs(x));

    std::vector<float> out((size_t)B * H * D, NAN), partial((size_t)B * H * splits * (D + 2), NAN);
    std::vector<int> counters((size_t)B * KVH, 0);
    float *kc = kCache.data(), *vc = vCache.data(), *o = out.data(), *pa = partial.data();
    const float *qp = q.data(), *kp = k.data(), *vp = v.data(), *mp = masked ? mask.data() : nullptr, *bp = biased ? bias.data() : nullptr;
    const int *ps = past.data(), *sl = slots.data();
    int* cn = counters.data();
    emu::set_schedule(schedule, 0xa77 + (uint64_t)launches);
    if (!append)
        emu::launch(dim3(B), dim3(256), [&] { kv_append_f32(kp, kStride, vp, kStride, ps, sl, kc, vc, cap, width, 1); });
    emu::launch(dim3(splits, KVH, B), dim3(threads), [&] {
        if (append)
            attention_decode_append_f32(qp, qStride, kp, kStride, vp, kStride, kc, vc, cap, ps, sl, mp, maskStride, maskCols, bp, biasStride,
                                        biasKeyCols, pa, splits, H, KVH, D, scale, o, H * D, cn);
        else
            attention_decode_f32(qp, qStride, kc, vc, cap, ps, sl, mp, maskStride, maskCols, bp, biasStride, biasKeyCols, pa, splits, H, KVH,
                                 D, scale, o, H * D, cn);
    });
    launches++;
    char what[200];
    std::snprintf(what, sizeof what, "attention_decode%s_f32 batch %d heads %d/%d dim %d capacity %d splits %d threads %d%s%s (%s)",
                  append ? "_append" : "", B, H, KVH, D, cap, splits, threads, masked ? " mask" : "", biased ? " bias" : "",
                  schedule == emu::SHUFFLED ? "shuffled" : schedule == emu::WARP_BY_WARP ? "warp by warp" : "round-robin");
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < ref.size(); i++) {
        const double d = std::isnan(out[i]) ? INFINITY : std::fabs(out[i] - ref[i]);
        if (d > worst) worst = d, at = i;
    }
    if (worst > 1e-5 * std::max(largest, 1e-30)) {
        failures++;
        std::printf("FAIL %s: out[%zu] %.9g, reference %.9g (largest |reference| %.4g)\n", what, at, out[at], ref[at], largest);
    }
    for (int b = 0; b < B; b++) {  // the step's key and value are in the cache now
        const size_t row = ((size_t)slots[b] * cap + past[b]) * width;
        for (int c = 0; c < width; c++)
            if (kCache[row + c] != k[(size_t)b * kStride + c] || vCache[row + c] != v[(size_t)b * kStride + c]) {
                failures++;
                std::printf("FAIL %s: sequence %d's new key or value is not in its cache row\n", what, b);
                c = width;
                b = B;
            }
    }
    for (int c : counters)
        if (c != 0) {
            failures++;
            std::printf("FAIL %s: a split counter is %d after the launch\n", what, c);
            break;
        }
}

}  // namespace

int main() {
    const auto start = std::chrono::steady_clock::now();
    // batch, heads, KV heads, head dim, capacity: the 1B shape's heads (GQA 4), MHA, MQA (16 heads a
    // KV head: two passes of 8), 6 a KV head, head dims 128, 256 and not a multiple of 4 (scalar)
    const Shape shapes[] = {{3, 32, 8, 64, 40}, {2, 4, 4, 128, 33}, {3, 16, 1, 64, 70}, {2, 12, 2, 80, 21}, {1, 4, 2, 256, 17}, {2, 6, 3, 30, 19}};
    const emu::Schedule schedules[] = {emu::ROUND_ROBIN, emu::WARP_BY_WARP, emu::SHUFFLED};
    int i = 0;
    for (const Shape& sh : shapes)
        for (int splits : {1, 2, 5, 16, 64})
            for (int parts = 0; parts < 8; parts++, i++)  // append, mask, bias: each combination
                check(sh, splits, (parts & 1) != 0, (parts & 2) != 0, (parts & 4) != 0, i % 5 == 2 ? 64 : 256, schedules[i % 3]);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (failures > 0) {
        std::printf("attention_emu_check: %d failures in %d launches (%.1f s)\n", failures, launches, took);
        return 1;
    }
    std::printf("attention_emu_check: %d launches of the decode attention matched the float64 reference (%.1f s)\n", launches, took);
    return 0;
}
