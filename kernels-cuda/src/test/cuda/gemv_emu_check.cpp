// Runs matmul_fused.cu's decode GEMVs (gemv_fused[_gate][_m1]_{f32,bf16,f16}) under the host
// emulation (host_emu.h) on a machine without a GPU and checks them against a float64 reference
// of the same product: x's rows RMS-normalised with g (norm), W [n, k] row-major (torch Linear),
// bias, a gate (act(x·W + bias) · (x·up + upBias)), RoPE's rotate-half on the first rotaryCols
// columns (pairs (i, i + half) of each head, positions per row), the residual added in place
// (out aliasing it). Every configuration runs at 1, 2, 4 and 8 columns per block (the launch
// plan's gemvCols / gemvGateCols / split choices), with the grid the plan takes (ceil(n / cols))
// and with a short grid whose blocks stride over the column groups; vector loads (aligned) and
// the scalar path (x one float off), k with and without a scalar tail and long enough for the
// unrolled loads of every warp split; m = 1 to 9 rows (the m1 kernels too, which take any m).
// Full grids run warp by warp, short ones shuffled (host_emu.h's schedules).
// Also scale.cu's scale_f32, float4 and scalar paths (aligned or not, in place or not), against the
// host's products.
// Usage: gemv_emu_check   (exit 0: every product within 2e-6 of the largest reference value,
// relative, per launch; every scaled element exact)
#include "../../emu/host_emu.h"

#include "../../main/cuda/matmul_fused.cu"
#include "../../main/cuda/scale.cu"

#include <chrono>
#include <string>

namespace {

template <typename W>
W to_w(float v);
template <>
float to_w<float>(float v) { return v; }
template <>
__nv_bfloat16 to_w<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }
template <>
__half to_w<__half>(float v) { return __float2half_rn(v); }

float from_w(float v) { return v; }
float from_w(__nv_bfloat16 v) { return __bfloat162float(v); }
float from_w(__half v) { return __half2float(v); }

double act_ref(double v, int act) {
    switch (act) {
        case 0: return v / (1.0 + std::exp(-v));
        case 1: return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
        case 2: return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
        case 4: return std::tanh(v);
        default: return v < 0 ? 0 : v;
    }
}

struct Config {
    int dtype;  // 0 f32, 1 bf16, 2 f16
    bool gate, m1, norm, bias, residual, rotary, aligned;
    int m, n, k, act;
};

std::string describe(const Config& c, int cols, int grid) {
    static const char* const DT[] = {"f32", "bf16", "f16"};
    char b[256];
    std::snprintf(b, sizeof b, "gemv_fused%s%s_%s m=%d n=%d k=%d cols=%d grid=%d%s%s%s%s%s act=%d", c.gate ? "_gate" : "", c.m1 ? "_m1" : "",
                  DT[c.dtype], c.m, c.n, c.k, cols, grid, c.norm ? " norm" : "", c.bias ? " bias" : "", c.residual ? " residual" : "",
                  c.rotary ? " rotary" : "", c.aligned ? "" : " unaligned", c.act);
    return b;
}

int failures = 0, launches = 0;
std::mt19937_64 rng(7);

template <typename W>
void check(const Config& c) {
    std::normal_distribution<float> normal(0.f, 1.f);
    const int m = c.m, n = c.n, k = c.k;
    const int headDim = 16, rotaryDims = 12, rotaryCols = c.rotary ? (n / headDim - 1) * headDim : 0;  // the last head's columns stay
    // x with one spare float in front: the unaligned case starts there
    std::vector<float> xs((size_t)m * k + 1);
    for (float& v : xs) v = normal(rng);
    const float* x = xs.data() + (c.aligned ? 0 : 1);
    const int xStride = k;
    std::vector<W> w((size_t)n * k), up(c.gate ? (size_t)n * k : 0), g(k), bias(n), upBias(n);
    for (W& v : w) v = to_w<W>(normal(rng) * 0.05f);
    for (W& v : up) v = to_w<W>(normal(rng) * 0.05f);
    for (W& v : g) v = to_w<W>(1.f + 0.1f * normal(rng));
    for (W& v : bias) v = to_w<W>(normal(rng) * 0.1f);
    for (W& v : upBias) v = to_w<W>(normal(rng) * 0.1f);
    std::vector<int> positions(m);
    for (int r = 0; r < m; r++) positions[r] = (int)(rng() % 5000);
    std::vector<float> invFreq(rotaryDims / 2);
    for (int i = 0; i < rotaryDims / 2; i++) invFreq[i] = (float)std::pow(10000.0, -2.0 * i / rotaryDims);
    std::vector<float> residual((size_t)m * n);
    for (float& v : residual) v = normal(rng);
    const float eps = 1e-5f;

    // float64 reference
    std::vector<double> ref((size_t)m * n);
    for (int r = 0; r < m; r++) {
        const float* xr = x + (size_t)r * xStride;
        double ss = 0;
        for (int i = 0; i < k; i++) ss += (double)xr[i] * xr[i];
        const double inv = c.norm ? 1.0 / std::sqrt(ss / k + eps) : 1.0;
        std::vector<double> v(n);
        for (int j = 0; j < n; j++) {
            double d0 = 0, d1 = 0;
            for (int i = 0; i < k; i++) {
                const double xi = (double)xr[i] * (c.norm ? (double)from_w(g[i]) : 1.0);
                d0 += xi * from_w(w[(size_t)j * k + i]);
                if (c.gate) d1 += xi * from_w(up[(size_t)j * k + i]);
            }
            double val = d0 * inv + (c.bias ? from_w(bias[j]) : 0.0);
            if (c.gate) val = act_ref(val, c.act) * (d1 * inv + (c.bias ? from_w(upBias[j]) : 0.0));
            v[j] = val;
        }
        for (int j = 0; j < n; j++) {
            double val = v[j];
            const int q = j % headDim, half = rotaryDims / 2;
            if (j < rotaryCols && q < rotaryDims) {
                const double angle = (double)positions[r] * invFreq[q % half];
                const double cs = std::cos(angle), sn = std::sin(angle);
                val = q < half ? v[j] * cs - v[j + half] * sn : v[j] * cs + v[j - half] * sn;
            }
            ref[(size_t)r * n + j] = val + (c.residual ? residual[(size_t)r * n + j] : 0.0);
        }
    }
    double scale = 0;
    for (double v : ref) scale = std::max(scale, std::fabs(v));

    using Entry = void (*)(const float*, int, const W*, int, const W*, const W*, const W*, const W*, float, const float*, int, float*, int, int,
                           int, int, int, int, int, const int*, const float*, int, int, int);
    Entry entry;
    if constexpr (std::is_same_v<W, float>)
        entry = c.gate ? (c.m1 ? gemv_fused_gate_m1_f32 : gemv_fused_gate_f32) : (c.m1 ? gemv_fused_m1_f32 : gemv_fused_f32);
    else if constexpr (std::is_same_v<W, __nv_bfloat16>)
        entry = c.gate ? (c.m1 ? gemv_fused_gate_m1_bf16 : gemv_fused_gate_bf16) : (c.m1 ? gemv_fused_m1_bf16 : gemv_fused_bf16);
    else
        entry = c.gate ? (c.m1 ? gemv_fused_gate_m1_f16 : gemv_fused_gate_f16) : (c.m1 ? gemv_fused_m1_f16 : gemv_fused_f16);

    for (int cols : {1, 2, 4, 8}) {
        if (c.rotary && cols == 1) continue;  // a RoPE pair's halves in one block
        const int full = (n + cols - 1) / cols;
        for (int grid : {full, std::max(1, full / 3)}) {
            std::vector<float> out((size_t)m * n, NAN);
            if (c.residual) out = residual;  // out aliases the residual, as the plan runs it
            const float* res = c.residual ? out.data() : nullptr;
            float* o = out.data();
            emu::set_schedule(grid == full ? emu::WARP_BY_WARP : emu::SHUFFLED, 0x900d + (uint64_t)cols);
            emu::launch(dim3(grid), dim3(256), [&] {
                entry(x, xStride, w.data(), k, c.bias ? bias.data() : nullptr, c.gate ? up.data() : nullptr, c.gate && c.bias ? upBias.data() : nullptr,
                      c.norm ? g.data() : nullptr, eps, res, n, o, n, m, n, k, cols, c.act, c.norm ? 1 : 0, c.rotary ? positions.data() : nullptr,
                      c.rotary ? invFreq.data() : nullptr, headDim, rotaryDims, rotaryCols);
            });
            launches++;
            double worst = 0;
            size_t at = 0;
            for (size_t i = 0; i < ref.size(); i++) {
                const double d = std::isnan(out[i]) ? INFINITY : std::fabs(out[i] - ref[i]);
                if (d > worst) worst = d, at = i;
            }
            if (worst > 2e-6 * scale) {
                failures++;
                std::printf("FAIL %s: [%zu, %zu] %.9g, reference %.9g (largest |reference| %.4g)\n", describe(c, cols, grid).c_str(), at / n, at % n,
                            out[at], ref[at], scale);
            }
        }
    }
    emu::set_schedule(emu::ROUND_ROBIN);
}

// scale_f32 (float4s where cols, both strides and both pointers allow, else floats; out may alias
// x) against the host's own products, which are exact: every element, nothing outside the view.
void check_scale() {
    std::normal_distribution<float> normal(0.f, 1.f);
    struct Case {
        int rows, cols, xStride, outStride, xOffset, outOffset;
        bool alias;
    };
    const Case cases[] = {{3, 64, 64, 64, 0, 0, false},  {5, 36, 40, 36, 4, 0, false}, {4, 64, 64, 64, 1, 0, false}, {2, 30, 30, 32, 0, 0, false},
                          {7, 128, 132, 128, 0, 4, true}, {1, 1000, 1000, 1000, 0, 0, true}, {6, 20, 24, 20, 0, 1, false}};
    const float factor = 0.37f;
    for (const Case& c : cases) {
        std::vector<float> xs((size_t)c.rows * c.xStride + 8), outs((size_t)c.rows * c.outStride + 8, -7.f);
        for (float& v : xs) v = normal(rng);
        const std::vector<float> original = xs;
        float* x = xs.data() + c.xOffset;
        float* out = c.alias ? x : outs.data() + c.outOffset;
        const int outStride = c.alias ? c.xStride : c.outStride;
        const bool vec = c.cols % 4 == 0 && c.xStride % 4 == 0 && outStride % 4 == 0 && c.xOffset % 4 == 0 && (c.alias || c.outOffset % 4 == 0);
        const int elements = c.rows * c.cols, perThread = vec ? 4 : 1;
        for (int grid : {(elements / perThread + 255) / 256, 1}) {
            if (c.alias) xs = original;
            else std::fill(outs.begin(), outs.end(), -7.f);
            emu::set_schedule(grid == 1 ? emu::SHUFFLED : emu::WARP_BY_WARP, 0x5ca1e + (uint64_t)grid);
            emu::launch(dim3(grid), dim3(256), [&] { scale_f32(x, c.xStride, out, outStride, c.rows, c.cols, factor); });
            launches++;
            int bad = 0;
            const std::vector<float>& got = c.alias ? xs : outs;
            const int base = c.alias ? c.xOffset : c.outOffset;
            for (size_t i = 0; i < got.size(); i++) {
                const long at = (long)i - base, r = at / outStride, col = at % outStride;
                const bool inside = at >= 0 && r < c.rows && col < c.cols;
                const float want = inside ? original[(size_t)c.xOffset + r * c.xStride + col] * factor : c.alias ? original[i] : -7.f;
                if (got[i] != want) bad++;
            }
            if (bad > 0) {
                failures++;
                std::printf("FAIL scale_f32 rows %d cols %d strides %d/%d offsets %d/%d%s grid %d (%s path): %d elements wrong\n", c.rows, c.cols,
                            c.xStride, outStride, c.xOffset, c.outOffset, c.alias ? " in place" : "", grid, vec ? "float4" : "float", bad);
            }
        }
    }
    emu::set_schedule(emu::ROUND_ROBIN);
}

}  // namespace

int main() {
    const auto start = std::chrono::steady_clock::now();
    // k: 4,104 = 8·513 (vectors for every dtype, the unrolled loop for every warp split), 4,100
    // (a 4-element tail for the 8-wide 16-bit vectors), 260 (a tail and mostly the single-vector loop)
    const int ks[] = {4104, 4100, 260};
    const int ms[] = {1, 2, 5, 8, 9};
    int i = 0;
    for (int dtype = 0; dtype < 3; dtype++)
        for (bool gate : {false, true})
            for (bool m1 : {false, true})
                for (int variant = 0; variant < 3; variant++, i++) {
                    Config c{};
                    c.dtype = dtype;
                    c.gate = gate;
                    c.m1 = m1;
                    c.k = ks[(i + variant) % 3];
                    c.m = m1 ? (variant == 2 ? 3 : 1) : ms[(i + variant) % 5];
                    c.n = variant == 0 ? 72 : 40;  // heads of 16: the rotary columns' pairs, then columns that stay
                    c.norm = variant != 1;
                    c.bias = variant != 0;
                    c.residual = !gate && variant != 2;
                    c.rotary = !gate && variant != 1;
                    c.aligned = !(variant == 2 && dtype != 1);
                    c.act = gate ? (i % 5) : 0;
                    if (dtype == 0) check<float>(c);
                    else if (dtype == 1) check<__nv_bfloat16>(c);
                    else check<__half>(c);
                }
    const int gemvLaunches = launches;
    check_scale();
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (failures > 0) {
        std::printf("gemv_emu_check: %d of %d launches failed (%.1f s)\n", failures, launches, took);
        return 1;
    }
    std::printf("gemv_emu_check: %d launches of gemv_fused matched the float64 reference, %d of scale_f32 the host's products (%.1f s)\n",
                gemvLaunches, launches - gemvLaunches, took);
    return 0;
}
