// Runs the prefill attention kernels under the host emulation (host_emu.h) on a machine without a
// GPU, against a float64 reference: attention.cu's attention_prefill_f32 and every kernel of
// attention_mma.cu (the tensor-core kernels: staged F32 tiles, kv16 after kv_to16, kv16nm and
// kv16w32; BF16 and F16; head dims 64 and 128), whose mma.sync and ldmatrix run as host_emu.h's
// warp collectives with the PTX fragment layouts. Shapes: MHA, GQA and MQA; causal self-attention
// over fresh keys or a KV-cache slot (slots permuted, ragged cached lengths), non-causal
// cross-attention over more keys than queries; query blocks cut short by the sequence's end; rows
// wider than their heads (a stacked q/k/v's views), row strides that rule out 16-byte copies; an
// additive padding mask shorter than the keys, one sequence masked whole (its rows must be zeros),
// and a per-head position bias, for the kernels that take them.
// Reference: the tensor-core kernels round q·scale, K and V to 16 bits before their products, so
// the reference rounds them the same way (its sums, exponentials and probabilities stay float64);
// what is left is the rounding of the probabilities to 16 bits, so the tolerance is 8e-3 (BF16) or
// 1e-3 (F16) of the largest |v|, against 2e-5 for the F32 kernel. Output columns past the heads must
// stay untouched.
// Usage: prefill_attention_emu_check   (exit 0: every launch within its tolerance)
#include "../../emu/host_emu.h"

#include "../../main/cuda/attention.cu"
#include "../../main/cuda/attention_mma.cu"

#include <chrono>
#include <string>

namespace {

enum class Kernel { F32, STAGED, KV16, KV16NM, KV16W32 };
enum class Half { BF16, F16 };

struct Shape {
    int batch, heads, kvHeads, headDim, seqLen, kvLen;  // kvLen: keys of an uncached shape
    bool cached, causal;
    int capacity;  // cache rows per slot (cached)
};

int failures = 0, launches = 0;
std::mt19937_64 rng(23);

float round16(float x, Half half) {
    return half == Half::BF16 ? __bfloat162float(__float2bfloat16_rn(x)) : __half2float(__float2half_rn(x));
}

const char* kernel_name(Kernel kernel) {
    switch (kernel) {
        case Kernel::F32: return "attention_prefill_f32";
        case Kernel::STAGED: return "attention_prefill_mma";
        case Kernel::KV16: return "attention_prefill_mma_kv16";
        case Kernel::KV16NM: return "attention_prefill_mma_kv16nm";
        default: return "attention_prefill_mma_kv16w32";
    }
}

// Launches the tensor-core kernel `kernel` of 16-bit type T and head dim HD (after kv_to16 for the kv16 ones).
template <typename T, int HD>
void launch_mma(Kernel kernel, const float* q, int qStride, const float* k, int kStride, const float* v, int vStride, const float* kc,
                const float* vc, int cap, int cached, const int* past, const int* slots, const float* mask, int maskStride, int maskCols,
                const float* bias, int biasStride, int biasKeyCols, float* out, int outStride, int S, int kvLen, int H, int KVH, float scale,
                int causal, int B) {
    const dim3 grid((S + MMA_BQ - 1) / MMA_BQ, H, B);
    // Calls PREFIX{bf16,f16}_d{64,128}(ARGS), the entry of T and HD, as AttentionCuda names them.
#define EMU_BY_TYPE_AND_DIM(PREFIX, ARGS)                                   \
    if constexpr (std::is_same_v<T, __nv_bfloat16>) {                       \
        if constexpr (HD == 64) PREFIX##bf16_d64 ARGS;                      \
        else PREFIX##bf16_d128 ARGS;                                        \
    } else {                                                                \
        if constexpr (HD == 64) PREFIX##f16_d64 ARGS;                       \
        else PREFIX##f16_d128 ARGS;                                         \
    }
    if (kernel == Kernel::STAGED) {
        emu::launch(grid, dim3(MMA_THREADS), [&] {
            EMU_BY_TYPE_AND_DIM(attention_prefill_mma_, (q, qStride, k, kStride, v, vStride, kc, vc, cap, cached, past, slots, mask, maskStride,
                                                        maskCols, bias, biasStride, biasKeyCols, out, outStride, S, kvLen, H, KVH, HD, scale, causal))
        }, mma_smem_bytes(HD));
        return;
    }
    // kv_to16 first: [batch][kvHeads][keysPerHead][HD] 16-bit keys, then values (NaN where no key is written)
    const int keysPerHead = cached ? cap : kvLen;
    std::vector<T> k16((size_t)B * KVH * keysPerHead * HD, T(NAN)), v16(k16.size(), T(NAN));
    T *k16p = k16.data(), *v16p = v16.data();
    emu::launch(dim3((keysPerHead + 31) / 32, KVH, B), dim3(256), [&] {
        if constexpr (std::is_same_v<T, __nv_bfloat16>)
            kv_to16_bf16(k, kStride, v, vStride, kc, vc, cap, cached, past, slots, k16p, v16p, keysPerHead, S, kvLen, KVH, HD);
        else
            kv_to16_f16(k, kStride, v, vStride, kc, vc, cap, cached, past, slots, k16p, v16p, keysPerHead, S, kvLen, KVH, HD);
    });
    const bool w32 = kernel == Kernel::KV16W32;
    const int smem = w32 ? mma_kv16w32_smem_bytes(HD) : mma_kv16_smem_bytes(HD);
#define EMU_KV16_ARGS \
    (q, qStride, k16p, v16p, keysPerHead, cached, past, mask, maskStride, maskCols, bias, biasStride, biasKeyCols, out, outStride, S, kvLen, H, KVH, HD, scale, causal)
    emu::launch(grid, dim3(w32 ? W32_THREADS : MMA_THREADS), [&] {
        if (kernel == Kernel::KV16) {
            EMU_BY_TYPE_AND_DIM(attention_prefill_mma_kv16_, EMU_KV16_ARGS)
        } else if (kernel == Kernel::KV16NM) {
            EMU_BY_TYPE_AND_DIM(attention_prefill_mma_kv16nm_, EMU_KV16_ARGS)
        } else {
            EMU_BY_TYPE_AND_DIM(attention_prefill_mma_kv16w32_, EMU_KV16_ARGS)
        }
    }, smem);
#undef EMU_KV16_ARGS
#undef EMU_BY_TYPE_AND_DIM
}

void check(const Shape& sh, Kernel kernel, Half half, bool masked, bool biased, bool aligned, emu::Schedule schedule) {
    std::normal_distribution<float> normal(0.f, 1.f);
    const int B = sh.batch, H = sh.heads, KVH = sh.kvHeads, D = sh.headDim, S = sh.seqLen, G = H / KVH, width = KVH * D;
    const bool cached = sh.cached, rounded = kernel != Kernel::F32;
    const int cap = cached ? sh.capacity : 0, kvLen = cached ? S : sh.kvLen;
    const float scale = 1.f / std::sqrt((float)D);
    // cached: sequence b in slot slots[b] (of B + 1) with past[b] keys before this step's S (already appended)
    std::vector<int> past(B, 0), slots(B, 0);
    for (int b = 0; b < B && cached; b++) {
        slots[b] = B - b;
        past[b] = b == 0 ? cap - S : b == 1 ? 0 : (int)(rng() % (cap - S + 1));
    }
    // aligned: rows 4 floats wider than their heads (16-byte copies); else 1 wider (4-byte copies, scalar loads)
    const int pad = aligned ? 4 : 1;
    const int qStride = H * D + pad, kStride = width + pad, outStride = H * D + 2;
    std::vector<float> q((size_t)B * S * qStride), k((size_t)B * kvLen * kStride), v(k.size());
    std::vector<float> kCache(cached ? (size_t)(B + 1) * cap * width : 0), vCache(kCache.size());
    for (float& x : q) x = normal(rng) * 2.f;
    for (float& x : k) x = normal(rng);
    for (float& x : v) x = normal(rng);
    for (float& x : kCache) x = normal(rng);
    for (float& x : vCache) x = normal(rng);
    const int keysMax = cached ? cap : kvLen;
    // mask [B][keysMax] over the first maskCols keys (all of them when sequence 1 exists, else 3
    // fewer): sequence 1 loses every key (zero rows), the others every 7th; bias [B][S][keys][H]
    const int maskStride = keysMax, maskCols = B > 1 ? keysMax : keysMax - 3, biasKeyCols = keysMax, biasStride = H;
    std::vector<float> mask((size_t)B * maskStride, 0.f), bias((size_t)B * S * biasKeyCols * biasStride);
    for (int b = 0; b < B; b++)
        for (int j = 0; j < maskCols; j++)
            if (b == 1 || j % 7 == 3) mask[(size_t)b * maskStride + j] = -INFINITY;
    for (float& x : bias) x = normal(rng) * 0.5f;

    // float64 reference
    const auto key = [&](int b, int kvh, int j) {
        return cached ? &kCache[((size_t)slots[b] * cap + j) * width + kvh * D] : &k[((size_t)b * kvLen + j) * kStride + kvh * D];
    };
    const auto value = [&](int b, int kvh, int j) {
        return cached ? &vCache[((size_t)slots[b] * cap + j) * width + kvh * D] : &v[((size_t)b * kvLen + j) * kStride + kvh * D];
    };
    const auto r16 = [&](float x) { return rounded ? round16(x, half) : x; };
    std::vector<double> ref((size_t)B * S * H * D, 0.0);
    double largestV = 0;
    for (int b = 0; b < B; b++) {
        const int p0 = cached ? past[b] : 0, len = cached ? past[b] + S : kvLen;
        for (int h = 0; h < H; h++) {
            const int kvh = h / G;
            for (int i = 0; i < S; i++) {
                const int visible = sh.causal ? std::min(len, p0 + i + 1) : len;
                std::vector<double> sc(visible);
                double mx = -INFINITY;
                for (int j = 0; j < visible; j++) {
                    const float* kj = key(b, kvh, j);
                    double s = 0;
                    for (int d = 0; d < D; d++) {
                        const float qs = q[((size_t)b * S + i) * qStride + h * D + d] * scale;
                        s += (double)r16(qs) * r16(kj[d]);
                    }
                    if (masked && j < maskCols) s += mask[(size_t)b * maskStride + j];
                    if (biased && j < biasKeyCols) s += bias[(((size_t)b * S + i) * biasKeyCols + j) * biasStride + h];
                    sc[j] = s;
                    mx = std::max(mx, s);
                }
                if (mx == -INFINITY) continue;  // no visible key: zeros
                double l = 0;
                for (int j = 0; j < visible; j++) l += sc[j] = std::exp(sc[j] - mx);
                for (int j = 0; j < visible; j++) {
                    const float* vj = value(b, kvh, j);
                    for (int d = 0; d < D; d++) {
                        ref[(((size_t)b * S + i) * H + h) * D + d] += sc[j] / l * r16(vj[d]);
                        largestV = std::max(largestV, (double)std::fabs(vj[d]));
                    }
                }
            }
        }
    }

    std::vector<float> out((size_t)B * S * outStride, NAN);
    const float *qp = q.data(), *kp = k.data(), *vp = v.data(), *kc = cached ? kCache.data() : nullptr, *vc = cached ? vCache.data() : nullptr;
    const float *mp = masked ? mask.data() : nullptr, *bp = biased ? bias.data() : nullptr;
    const int *ps = past.data(), *sl = slots.data(), mc = maskCols;
    float* o = out.data();
    emu::set_schedule(schedule, 0x9f1 + (uint64_t)launches);
    if (kernel == Kernel::F32) {
        emu::launch(dim3((S + PF_BQ - 1) / PF_BQ, H, B), dim3(PF_THREADS), [&] {
            attention_prefill_f32(qp, qStride, kp, kStride, vp, kStride, kc, vc, cap, cached, ps, sl, mp, maskStride, mc, bp, biasStride,
                                  biasKeyCols, o, outStride, S, kvLen, H, KVH, D, scale, sh.causal);
        }, 4 * pf_smem_floats(pf_hd(D)));
    } else if (half == Half::BF16) {
        if (D == 64)
            launch_mma<__nv_bfloat16, 64>(kernel, qp, qStride, kp, kStride, vp, kStride, kc, vc, cap, cached, ps, sl, mp, maskStride, mc, bp,
                                          biasStride, biasKeyCols, o, outStride, S, kvLen, H, KVH, scale, sh.causal, B);
        else
            launch_mma<__nv_bfloat16, 128>(kernel, qp, qStride, kp, kStride, vp, kStride, kc, vc, cap, cached, ps, sl, mp, maskStride, mc, bp,
                                           biasStride, biasKeyCols, o, outStride, S, kvLen, H, KVH, scale, sh.causal, B);
    } else {
        if (D == 64)
            launch_mma<__half, 64>(kernel, qp, qStride, kp, kStride, vp, kStride, kc, vc, cap, cached, ps, sl, mp, maskStride, mc, bp,
                                   biasStride, biasKeyCols, o, outStride, S, kvLen, H, KVH, scale, sh.causal, B);
        else
            launch_mma<__half, 128>(kernel, qp, qStride, kp, kStride, vp, kStride, kc, vc, cap, cached, ps, sl, mp, maskStride, mc, bp,
                                    biasStride, biasKeyCols, o, outStride, S, kvLen, H, KVH, scale, sh.causal, B);
    }
    launches++;

    char what[260];
    std::snprintf(what, sizeof what, "%s%s batch %d heads %d/%d dim %d seq %d %s %d%s%s%s%s (%s)", kernel_name(kernel),
                  kernel == Kernel::F32 ? "" : half == Half::BF16 ? " bf16" : " f16", B, H, KVH, D, S, cached ? "cached, capacity" : "keys",
                  cached ? cap : kvLen, sh.causal ? " causal" : "", masked ? " mask" : "", biased ? " bias" : "", aligned ? "" : " unaligned rows",
                  schedule == emu::SHUFFLED ? "shuffled" : schedule == emu::WARP_BY_WARP ? "warp by warp" : "round-robin");
    const double tolerance = (kernel == Kernel::F32 ? 2e-5 : half == Half::BF16 ? 8e-3 : 1e-3) * largestV;
    double worst = 0;
    size_t at = 0;
    for (int r = 0; r < B * S; r++)
        for (int c = 0; c < outStride; c++) {
            const float x = out[(size_t)r * outStride + c];
            if (c >= H * D) {
                if (!std::isnan(x)) {
                    failures++;
                    std::printf("FAIL %s: row %d's column %d past the heads was written (%g)\n", what, r, c, x);
                    return;
                }
                continue;
            }
            const double e = ref[(size_t)r * H * D + c], d = std::isnan(x) ? INFINITY : std::fabs(x - e);
            if (d > worst) worst = d, at = (size_t)r * H * D + c;
        }
    if (worst > tolerance) {
        failures++;
        const size_t row = at / (H * D), col = at % (H * D);
        std::printf("FAIL %s: out[%zu][%zu] %.9g, reference %.9g (tolerance %.3g)\n", what, row, col, out[row * outStride + col], ref[at],
                    tolerance);
    }
}

}  // namespace

int main() {
    const auto start = std::chrono::steady_clock::now();
    // batch, heads, KV heads, head dim, seqLen, kvLen (uncached), cached, causal, capacity
    const Shape shapes[] = {
        {2, 4, 2, 64, 150, 150, false, true, 0},    // GQA self-attention: a second query block of 22 rows
        {2, 4, 1, 128, 70, 0, true, true, 120},     // MQA over a cache slot: sequence 0 fills it, sequence 1 starts empty
        {1, 2, 2, 64, 40, 200, false, false, 0},    // MHA cross-attention: 40 queries over 200 keys
        {3, 4, 2, 128, 129, 0, true, true, 200},    // GQA over cache slots, ragged pasts: one row in the second query block
    };
    const emu::Schedule schedules[] = {emu::ROUND_ROBIN, emu::WARP_BY_WARP, emu::SHUFFLED};
    int i = 0;
    for (const Shape& sh : shapes) {
        for (int extras = 0; extras < 2; extras++, i++) {  // with and without the mask and bias
            const bool extra = extras == 1;
            const Half half = i % 2 == 0 ? Half::BF16 : Half::F16;
            check(sh, Kernel::F32, half, extra, extra, i % 2 == 0, schedules[i % 3]);
            check(sh, Kernel::STAGED, half, extra, extra, true, schedules[(i + 1) % 3]);
            check(sh, Kernel::STAGED, half == Half::BF16 ? Half::F16 : Half::BF16, extra, extra, false, schedules[(i + 2) % 3]);
            check(sh, Kernel::KV16, half, extra, extra, i % 2 == 1, schedules[i % 3]);
            if (!extra) {  // the unmasked kernels trap on a mask or bias
                check(sh, Kernel::KV16NM, half == Half::BF16 ? Half::F16 : Half::BF16, false, false, true, schedules[(i + 1) % 3]);
                check(sh, Kernel::KV16W32, half, false, false, true, schedules[(i + 2) % 3]);
                check(sh, Kernel::KV16W32, half == Half::BF16 ? Half::F16 : Half::BF16, false, false, false, schedules[i % 3]);
            }
        }
    }
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (failures > 0) {
        std::printf("prefill_attention_emu_check: %d failures in %d launches (%.1f s)\n", failures, launches, took);
        return 1;
    }
    std::printf("prefill_attention_emu_check: %d launches of the prefill attention matched the float64 reference (%.1f s)\n", launches, took);
    return 0;
}
