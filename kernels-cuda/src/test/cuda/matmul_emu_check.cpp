// Runs matmul.cu's unfused decode GEMVs and helpers under the host emulation (host_emu.h) on a
// machine without a GPU: gemv_out_in_{f32,bf16,f16} (W [n, k], one warp a column), its split-K
// twin gemv_out_in_split_* at 1, 2, 4 and 8 columns per block, gemv_in_out_* (W [k, n], GPT-2's
// Conv1D), against a float64 reference; add_bias_* and cast_f32_to_{bf16,f16} against the host's
// exact results. m from 1 to 17 rows (chunks of 8), n not a multiple of a block's columns, k with
// and without a scalar tail and long enough for the unrolled loads, x aligned or one float off
// (the scalar path), the launch plan's grid and a short one whose blocks stride.
// Usage: matmul_emu_check   (exit 0: every product within 2e-6 of the largest reference value,
// relative, per launch; bias and casts exact)
#include "../../emu/host_emu.h"

#include "../../main/cuda/matmul.cu"

#include <chrono>
#include <string>
#include <type_traits>

namespace {

int failures = 0, launches = 0;
std::mt19937_64 rng(13);

template <typename W>
W to_w(float v) {
    if constexpr (std::is_same_v<W, float>) return v;
    else if constexpr (std::is_same_v<W, __nv_bfloat16>) return __float2bfloat16_rn(v);
    else return __float2half_rn(v);
}
inline float from_w(float v) { return v; }
inline float from_w(__nv_bfloat16 v) { return __bfloat162float(v); }
inline float from_w(__half v) { return __half2float(v); }

template <typename W>
const char* suffix() {
    return std::is_same_v<W, float> ? "f32" : std::is_same_v<W, __nv_bfloat16> ? "bf16" : "f16";
}

void compare(const std::string& what, const std::vector<float>& out, const std::vector<double>& ref) {
    double largest = 0, worst = 0;
    size_t at = 0;
    for (double v : ref) largest = std::max(largest, std::fabs(v));
    for (size_t i = 0; i < ref.size(); i++) {
        const double d = std::isnan(out[i]) ? INFINITY : std::fabs(out[i] - ref[i]);
        if (d > worst) worst = d, at = i;
    }
    launches++;
    if (worst > 2e-6 * std::max(largest, 1e-30)) {
        failures++;
        std::printf("FAIL %s: out[%zu] %.9g, reference %.9g (largest |reference| %.4g)\n", what.c_str(), at, out[at], ref[at], largest);
    }
}

// variant: 0 gemv_out_in, 1 gemv_out_in_split (cols), 2 gemv_in_out
template <typename W>
void check_gemv(int variant, int m, int n, int k, int cols, bool bias, bool aligned) {
    std::normal_distribution<float> normal(0.f, 1.f);
    std::vector<float> xs((size_t)m * k + 1);
    for (float& v : xs) v = normal(rng);
    const float* x = xs.data() + (aligned ? 0 : 1);
    std::vector<W> w((size_t)n * k), b(n);
    for (W& v : w) v = to_w<W>(normal(rng) * 0.05f);
    for (W& v : b) v = to_w<W>(normal(rng));
    const bool inOut = variant == 2;  // W [k, n]
    std::vector<double> ref((size_t)m * n);
    for (int r = 0; r < m; r++)
        for (int j = 0; j < n; j++) {
            double s = bias ? from_w(b[j]) : 0.0;
            for (int i = 0; i < k; i++) s += (double)x[(size_t)r * k + i] * from_w(inOut ? w[(size_t)i * n + j] : w[(size_t)j * k + i]);
            ref[(size_t)r * n + j] = s;
        }
    const int wStride = inOut ? n : k;
    const int perBlock = variant == 0 ? 8 : variant == 1 ? cols : 32;
    const int full = (n + perBlock - 1) / perBlock;
    for (int grid : {full, std::max(1, full / 4)}) {
        std::vector<float> out((size_t)m * n, NAN);
        float* o = out.data();
        const W* bp = bias ? b.data() : nullptr;
        emu::set_schedule(grid == full ? emu::WARP_BY_WARP : emu::SHUFFLED, 0x3a7 + (uint64_t)launches);
        emu::launch(dim3(grid), dim3(256), [&] {
            if constexpr (std::is_same_v<W, float>) {
                if (variant == 0) gemv_out_in_f32(x, k, w.data(), wStride, bp, o, n, m, n, k);
                else if (variant == 1) gemv_out_in_split_f32(x, k, w.data(), wStride, bp, o, n, m, n, k, cols);
                else gemv_in_out_f32(x, k, w.data(), wStride, bp, o, n, m, n, k);
            } else if constexpr (std::is_same_v<W, __nv_bfloat16>) {
                if (variant == 0) gemv_out_in_bf16(x, k, w.data(), wStride, bp, o, n, m, n, k);
                else if (variant == 1) gemv_out_in_split_bf16(x, k, w.data(), wStride, bp, o, n, m, n, k, cols);
                else gemv_in_out_bf16(x, k, w.data(), wStride, bp, o, n, m, n, k);
            } else {
                if (variant == 0) gemv_out_in_f16(x, k, w.data(), wStride, bp, o, n, m, n, k);
                else if (variant == 1) gemv_out_in_split_f16(x, k, w.data(), wStride, bp, o, n, m, n, k, cols);
                else gemv_in_out_f16(x, k, w.data(), wStride, bp, o, n, m, n, k);
            }
        });
        static const char* const NAMES[] = {"gemv_out_in", "gemv_out_in_split", "gemv_in_out"};
        char what[200];
        std::snprintf(what, sizeof what, "%s_%s m=%d n=%d k=%d cols=%d grid=%d%s%s", NAMES[variant], suffix<W>(), m, n, k, cols, grid,
                      bias ? " bias" : "", aligned ? "" : " unaligned");
        compare(what, out, ref);
    }
}

template <typename W>
void check_helpers() {
    std::normal_distribution<float> normal(0.f, 1.f);
    const int m = 3, n = 301, outStride = 305;
    std::vector<float> out((size_t)m * outStride), start;
    for (float& v : out) v = normal(rng);
    start = out;
    std::vector<W> b(n);
    for (W& v : b) v = to_w<W>(normal(rng));
    float* o = out.data();
    emu::launch(dim3(2), dim3(256), [&] {
        if constexpr (std::is_same_v<W, float>) add_bias_f32(o, outStride, b.data(), m, n);
        else if constexpr (std::is_same_v<W, __nv_bfloat16>) add_bias_bf16(o, outStride, b.data(), m, n);
        else add_bias_f16(o, outStride, b.data(), m, n);
    });
    launches++;
    for (int r = 0; r < m; r++)
        for (int c = 0; c < outStride; c++) {
            const float want = c < n ? start[(size_t)r * outStride + c] + from_w(b[c]) : start[(size_t)r * outStride + c];
            if (out[(size_t)r * outStride + c] != want) {
                failures++;
                std::printf("FAIL add_bias_%s [%d, %d]: %.9g, want %.9g\n", suffix<W>(), r, c, out[(size_t)r * outStride + c], want);
                return;
            }
        }
    if constexpr (!std::is_same_v<W, float>) {
        const int k = 517, xStride = 520;
        std::vector<float> x((size_t)m * xStride);
        for (float& v : x) v = normal(rng) * 100.f;
        std::vector<W> y((size_t)m * k);
        const float* xp = x.data();
        W* yp = y.data();
        emu::launch(dim3(3), dim3(256), [&] {
            if constexpr (std::is_same_v<W, __nv_bfloat16>) cast_f32_to_bf16(xp, xStride, yp, m, k);
            else cast_f32_to_f16(xp, xStride, yp, m, k);
        });
        launches++;
        for (int r = 0; r < m; r++)
            for (int c = 0; c < k; c++)
                if (emu::bits(y[(size_t)r * k + c]) != emu::bits(to_w<W>(x[(size_t)r * xStride + c]))) {
                    failures++;
                    std::printf("FAIL cast_f32_to_%s [%d, %d]\n", suffix<W>(), r, c);
                    return;
                }
    }
}

template <typename W>
void check_dtype() {
    const int ms[] = {1, 3, 8, 9, 17};
    const int ks[] = {4104, 1030, 264};
    int i = 0;
    for (int variant = 0; variant < 3; variant++)
        for (int cols : {1, 2, 4, 8}) {
            if (variant != 1 && cols != 8) continue;  // only the split kernel takes columns per block
            for (int j = 0; j < 3; j++, i++)
                check_gemv<W>(variant, ms[(i + j) % 5], j == 0 ? 300 : 37, ks[(i + j) % 3], cols, j != 1, !(j == 2 && (i % 2) == 0));
        }
    check_helpers<W>();
}

}  // namespace

int main() {
    const auto start = std::chrono::steady_clock::now();
    check_dtype<float>();
    check_dtype<__nv_bfloat16>();
    check_dtype<__half>();
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (failures > 0) {
        std::printf("matmul_emu_check: %d of %d launches failed (%.1f s)\n", failures, launches, took);
        return 1;
    }
    std::printf("matmul_emu_check: %d launches of matmul.cu matched their references (%.1f s)\n", launches, took);
    return 0;
}
