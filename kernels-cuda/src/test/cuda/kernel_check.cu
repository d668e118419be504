// Kernel-level GPU check, independent of the JVM: loads the built fatbins with the CUDA runtime's
// library API and checks every kernel against double-precision CPU references, with timings.
// On a GPU host: nvcc -O2 -std=c++17 -o /tmp/kernel_check src/test/cuda/kernel_check.cu &&
//   /tmp/kernel_check target/classes/dev/strata/cuda/kernels
#include <cuda_runtime.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <vector>
#include <string>
#include <map>
#include <random>
#include <algorithm>
#include <functional>
using namespace std;
#define CK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { printf("CUDA %s at %s:%d\n", cudaGetErrorString(e), __FILE__, __LINE__); exit(1);} } while (0)
static string DIR;
static map<string, cudaLibrary_t> libs;
static cudaKernel_t K(const string& file, const string& name) {
    if (!libs.count(file)) { cudaLibrary_t l; CK(cudaLibraryLoadFromFile(&l, (DIR + "/" + file + ".fatbin").c_str(), 0, 0, 0, 0, 0, 0)); libs[file] = l; }
    cudaKernel_t k; CK(cudaLibraryGetKernel(&k, libs[file], name.c_str())); return k;
}
template <typename... A> static void launch(cudaKernel_t k, dim3 g, dim3 b, size_t smem, A... a) {
    void* args[] = {(void*)&a...};
    CK(cudaLaunchKernel((const void*)k, g, b, args, smem, 0));
}
static mt19937 rng(42);
static vector<float> rnd(size_t n, float sc = 1.f) { normal_distribution<float> d(0, sc); vector<float> v(n); for (auto& x : v) x = d(rng); return v; }
template <typename T> static T* up(const vector<T>& v) { T* p; CK(cudaMalloc(&p, max<size_t>(1, v.size()) * sizeof(T))); CK(cudaMemcpy(p, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice)); return p; }
template <typename T> static vector<T> down(const T* p, size_t n) { vector<T> v(n); CK(cudaDeviceSynchronize()); CK(cudaMemcpy(v.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost)); return v; }
static int fails = 0, checks = 0;
static void check(const string& what, const vector<float>& got, const vector<double>& ref, double tol) {
    double md = 0, mr = 0; bool nan = false;
    for (size_t i = 0; i < ref.size(); i++) { if (std::isnan(got[i]) != std::isnan(ref[i])) nan = true; else if (!std::isnan(ref[i])) { md = max(md, fabs(got[i] - ref[i])); mr = max(mr, fabs(ref[i])); } }
    double rel = md / (mr + 1e-30);
    checks++;
    bool ok = !nan && (rel <= tol || md < 1e-30);
    if (!ok) fails++;
    if (!ok || getenv("VERBOSE")) printf("%s %-60s maxdiff %.3g rel %.3g%s\n", ok ? "ok  " : "FAIL", what.c_str(), md, rel, nan ? " NaN-mismatch" : "");
}
template <typename W> struct WT;
template <> struct WT<float> { static float to(float x) { return x; } static double from(float x) { return x; } static const char* s() { return "f32"; } };
template <> struct WT<__nv_bfloat16> { static __nv_bfloat16 to(float x) { return __float2bfloat16(x); } static double from(__nv_bfloat16 x) { return __bfloat162float(x); } static const char* s() { return "bf16"; } };
template <> struct WT<__half> { static __half to(float x) { return __float2half(x); } static double from(__half x) { return __half2float(x); } static const char* s() { return "f16"; } };

template <typename W> void test_gemv(int m, int n, int k, int xStride, bool outIn, bool bias, int block, int grid) {
    vector<float> x = rnd((size_t)m * xStride);
    int wStride = k + 0; vector<W> w((size_t)(outIn ? n : k) * (outIn ? k : n)), bs(n);
    int wS = outIn ? k : n;
    for (auto& e : w) e = WT<W>::to(rnd(1)[0] * 0.1f);
    for (auto& e : bs) e = WT<W>::to(rnd(1)[0]);
    vector<double> ref((size_t)m * n);
    for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
        double a = bias ? WT<W>::from(bs[j]) : 0;
        for (int kk = 0; kk < k; kk++) a += (double)x[(size_t)i * xStride + kk] * WT<W>::from(outIn ? w[(size_t)j * k + kk] : w[(size_t)kk * n + j]);
        ref[(size_t)i * n + j] = a;
    }
    float* dx = up(x); W* dw = up(w); W* db = bias ? up(bs) : nullptr; float* dout; int outStride = n + 3;
    CK(cudaMalloc(&dout, (size_t)m * outStride * 4));
    string name = string(outIn ? "gemv_out_in_" : "gemv_in_out_") + WT<W>::s();
    launch(K("matmul", name), dim3(grid), dim3(block), 0, (const float*)dx, xStride, (const W*)dw, wS, (const W*)db, dout, outStride, m, n, k);
    auto g = down(dout, (size_t)m * outStride); vector<float> gg((size_t)m * n);
    for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) gg[(size_t)i * n + j] = g[(size_t)i * outStride + j];
    char buf[200]; snprintf(buf, 200, "%s m=%d n=%d k=%d xs=%d bias=%d grid=%d", name.c_str(), m, n, k, xStride, bias, grid);
    check(buf, gg, ref, 2e-5);
    cudaFree(dx); cudaFree(dw); if (db) cudaFree(db); cudaFree(dout);
}

// ---------------- attention reference (double), layouts as in KERNELS.md
struct Att { int batch, seqLen, heads, kvHeads, hd, capacity, slotsN; bool cached, causal, useMask; int maskCols; float scale; int kvLen = 0; bool useBias = false; };
static void test_attention(Att a, const vector<int>& past, bool decode, int splits, int block, const char* tag) {
    int width = a.kvHeads * a.hd, rows = a.batch * a.seqLen, qw = a.heads * a.hd;
    int kvLen = a.kvLen > 0 ? a.kvLen : a.seqLen, kvRows = a.batch * kvLen;
    int qStride = qw + 4, kStride = width + 8, vStride = width + 4, outStride = qw + 4, maskStride = a.maskCols + 2;
    vector<float> q = rnd((size_t)rows * qStride), k = rnd((size_t)kvRows * kStride), v = rnd((size_t)kvRows * vStride);
    int biasKeyCols = a.useBias ? (a.cached ? a.capacity : kvLen) : 0, biasStride = a.heads + 1;
    vector<float> bias = rnd((size_t)rows * max(biasKeyCols, 1) * biasStride);
    vector<float> kc = rnd((size_t)a.slotsN * a.capacity * width), vc = rnd((size_t)a.slotsN * a.capacity * width);
    vector<int> slots(a.batch); for (int b = 0; b < a.batch; b++) slots[b] = (b * 2 + 1) % a.slotsN;
    vector<float> mask((size_t)a.batch * maskStride, 0.f);
    for (int b = 0; b < a.batch; b++) for (int j = 0; j < a.maskCols; j++) mask[(size_t)b * maskStride + j] = (j % 5 == 1) ? -INFINITY : rnd(1)[0];
    if (a.useMask && a.batch > 1) for (int j = 0; j < a.maskCols; j++) mask[(size_t)1 * maskStride + j] = -INFINITY;  // fully masked sequence (when maskCols covers all)
    // CPU: append then attend
    vector<float> kc2 = kc, vc2 = vc;
    if (a.cached) for (int b = 0; b < a.batch; b++) for (int i = 0; i < a.seqLen; i++) for (int c = 0; c < width; c++) {
        size_t dst = ((size_t)slots[b] * a.capacity + past[b] + i) * width + c;
        kc2[dst] = k[(size_t)(b * a.seqLen + i) * kStride + c]; vc2[dst] = v[(size_t)(b * a.seqLen + i) * vStride + c];
    }
    vector<double> ref((size_t)rows * qw);
    int G = a.heads / a.kvHeads;
    for (int b = 0; b < a.batch; b++) for (int h = 0; h < a.heads; h++) for (int i = 0; i < a.seqLen; i++) {
        int kvh = h / G, len = a.cached ? past[b] + a.seqLen : kvLen;
        int n = a.causal ? len - a.seqLen + i + 1 : len;
        vector<double> sc(n); double mx = -INFINITY;
        auto K_ = [&](int j, int d) -> double { return a.cached ? kc2[((size_t)slots[b] * a.capacity + j) * width + kvh * a.hd + d] : k[(size_t)(b * kvLen + j) * kStride + kvh * a.hd + d]; };
        auto V_ = [&](int j, int d) -> double { return a.cached ? vc2[((size_t)slots[b] * a.capacity + j) * width + kvh * a.hd + d] : v[(size_t)(b * kvLen + j) * vStride + kvh * a.hd + d]; };
        for (int j = 0; j < n; j++) { double dot = 0; for (int d = 0; d < a.hd; d++) dot += (double)q[(size_t)(b * a.seqLen + i) * qStride + h * a.hd + d] * K_(j, d);
            sc[j] = dot * a.scale + (a.useMask && j < a.maskCols ? mask[(size_t)b * maskStride + j] : 0)
                  + (j < biasKeyCols ? bias[((size_t)(b * a.seqLen + i) * biasKeyCols + j) * biasStride + h] : 0); mx = max(mx, sc[j]); }
        double sum = 0; for (int j = 0; j < n; j++) { sc[j] = mx == -INFINITY ? 0 : exp(sc[j] - mx); sum += sc[j]; }
        for (int d = 0; d < a.hd; d++) { double acc = 0; for (int j = 0; j < n; j++) acc += sc[j] * V_(j, d); ref[(size_t)(b * a.seqLen + i) * qw + h * a.hd + d] = sum == 0 ? 0 : acc / sum; }
    }
    float *dq = up(q), *dk = up(k), *dv = up(v), *dkc = up(kc), *dvc = up(vc), *dmask = a.useMask ? up(mask) : nullptr, *dbias = a.useBias ? up(bias) : nullptr, *dout;
    int *dpast = up(past), *dslots = up(slots);
    CK(cudaMalloc(&dout, (size_t)rows * outStride * 4)); CK(cudaMemset(dout, 0xff, (size_t)rows * outStride * 4));
    if (a.cached) launch(K("attention", "kv_append_f32"), dim3(rows), dim3(256), 0, (const float*)dk, kStride, (const float*)dv, vStride, (const int*)dpast, (const int*)dslots, dkc, dvc, a.capacity, width, a.seqLen);
    int HD = a.hd <= 64 ? 64 : a.hd <= 128 ? 128 : 256, BK = HD <= 128 ? 64 : 32;
    size_t smem = 4 * (HD * 64 + HD * BK + BK * 68);
    if (!decode) {
        auto kern = K("attention", "attention_prefill_f32");
        CK(cudaFuncSetAttribute((const void*)kern, cudaFuncAttributeMaxDynamicSharedMemorySize, 107008));
        launch(kern, dim3((a.seqLen + 63) / 64, a.heads, a.batch), dim3(256), smem, (const float*)dq, qStride, (const float*)dk, kStride, (const float*)dv, vStride,
               (const float*)dkc, (const float*)dvc, a.capacity, (int)a.cached, (const int*)dpast, (const int*)dslots, (const float*)dmask, maskStride, a.maskCols,
               (const float*)dbias, biasStride, biasKeyCols, dout, outStride, a.seqLen, kvLen, a.heads, a.kvHeads, a.hd, a.scale, (int)a.causal);
    } else {
        float* part; CK(cudaMalloc(&part, (size_t)a.batch * a.heads * splits * (a.hd + 2) * 4)); CK(cudaMemset(part, 0xff, (size_t)a.batch * a.heads * splits * (a.hd + 2) * 4));
        int* cnt; CK(cudaMalloc(&cnt, (size_t)a.batch * a.kvHeads * 4)); CK(cudaMemset(cnt, 0, (size_t)a.batch * a.kvHeads * 4));
        launch(K("attention", "attention_decode_f32"), dim3(splits, a.kvHeads, a.batch), dim3(block), 0, (const float*)dq, qStride, (const float*)dkc, (const float*)dvc, a.capacity,
               (const int*)dpast, (const int*)dslots, (const float*)dmask, maskStride, a.maskCols, (const float*)dbias, biasStride, biasKeyCols, part, splits, a.heads, a.kvHeads, a.hd, a.scale, dout, outStride, cnt);
        CK(cudaDeviceSynchronize()); cudaFree(part); cudaFree(cnt);
    }
    auto g = down(dout, (size_t)rows * outStride); vector<float> gg((size_t)rows * qw);
    for (int r = 0; r < rows; r++) for (int c = 0; c < qw; c++) gg[(size_t)r * qw + c] = g[(size_t)r * outStride + c];
    char buf[300]; snprintf(buf, 300, "%s %s b=%d s=%d kv=%d h=%d/%d hd=%d cached=%d causal=%d mask=%d bias=%d sp=%d blk=%d", decode ? "decode" : "prefill", tag, a.batch, a.seqLen, kvLen, a.heads, a.kvHeads, a.hd, a.cached, a.causal, a.useMask, a.useBias, splits, block);
    check(buf, gg, ref, 2e-5);
    if (a.cached) { auto kcg = down(dkc, kc.size()); vector<double> r2(kc2.begin(), kc2.end()); check(string("kv_append ") + buf, kcg, r2, 0); }
    cudaFree(dq); cudaFree(dk); cudaFree(dv); cudaFree(dkc); cudaFree(dvc); if (dmask) cudaFree(dmask); if (dbias) cudaFree(dbias); cudaFree(dout); cudaFree(dpast); cudaFree(dslots);
}

static void test_misc() {
    int rows = 5, cols = 1000, xs = 1003;
    vector<float> x = rnd((size_t)rows * xs, 3.f);
    float* dx = up(x); float* dout; CK(cudaMalloc(&dout, (size_t)rows * xs * 4));
    auto get = [&](void) { auto g = down(dout, (size_t)rows * xs); vector<float> r((size_t)rows * cols); for (int i = 0; i < rows; i++) for (int c = 0; c < cols; c++) r[(size_t)i * cols + c] = g[(size_t)i * xs + c]; return r; };
    // activate / gated
    for (int act = 0; act < 4; act++) {
        vector<double> ref((size_t)rows * cols), refg((size_t)rows * cols);
        for (int i = 0; i < rows; i++) for (int c = 0; c < cols; c++) { double v = x[(size_t)i * xs + c], y;
            if (act == 0) y = v / (1 + exp(-v)); else if (act == 1) y = 0.5 * v * (1 + erf(v / sqrt(2.))); else if (act == 2) y = 0.5 * v * (1 + tanh(sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))); else y = max(0.0, v);
            ref[(size_t)i * cols + c] = y; refg[(size_t)i * cols + c] = y * x[(size_t)i * xs + (cols - 1 - c)]; }
        launch(K("activate", "activate_f32"), dim3(7), dim3(256), 0, (const float*)dx, xs, dout, xs, rows, cols, act);
        check("activate act=" + to_string(act), get(), ref, 1e-6);
        // up = reversed columns via a second buffer
        vector<float> u((size_t)rows * xs); for (int i = 0; i < rows; i++) for (int c = 0; c < cols; c++) u[(size_t)i * xs + c] = x[(size_t)i * xs + cols - 1 - c];
        float* du = up(u);
        launch(K("gated_activate", "gated_activate_f32"), dim3(3), dim3(128), 0, (const float*)dx, xs, (const float*)du, xs, dout, xs, rows, cols, act);
        check("gated act=" + to_string(act), get(), refg, 1e-6); cudaFree(du);
    }
    { vector<double> ref((size_t)rows * cols); for (int i = 0; i < rows; i++) for (int c = 0; c < cols; c++) ref[(size_t)i * cols + c] = (double)x[(size_t)i * xs + c] + x[c];
      launch(K("add", "add_f32"), dim3(5), dim3(256), 0, (const float*)dx, xs, (const float*)dx, 0, dout, xs, rows, cols); check("add broadcast", get(), ref, 1e-7);
      for (int i = 0; i < rows; i++) for (int c = 0; c < cols; c++) ref[(size_t)i * cols + c] = (double)x[(size_t)i * xs + c] * 0.37f;
      launch(K("scale", "scale_f32"), dim3(5), dim3(256), 0, (const float*)dx, xs, dout, xs, rows, cols, 0.37f); check("scale", get(), ref, 1e-7); }
    { vector<double> ref((size_t)rows * cols); for (int i = 0; i < rows; i++) { double mx = -INFINITY, s = 0; for (int c = 0; c < cols; c++) mx = max(mx, (double)x[(size_t)i * xs + c]);
        for (int c = 0; c < cols; c++) s += exp(x[(size_t)i * xs + c] - mx); for (int c = 0; c < cols; c++) ref[(size_t)i * cols + c] = exp(x[(size_t)i * xs + c] - mx) / s; }
      launch(K("softmax", "softmax_f32"), dim3(rows), dim3(256), 0, (const float*)dx, xs, dout, xs, cols); check("softmax", get(), ref, 1e-6); }
    // rms / layer norm with bf16 / f32 weights
    { vector<__nv_bfloat16> w(cols); vector<float> wf(cols), bf(cols); for (int c = 0; c < cols; c++) { wf[c] = rnd(1)[0]; bf[c] = rnd(1)[0]; w[c] = __float2bfloat16(wf[c]); }
      vector<double> ref((size_t)rows * cols);
      for (int i = 0; i < rows; i++) { double ss = 0; for (int c = 0; c < cols; c++) ss += (double)x[(size_t)i * xs + c] * x[(size_t)i * xs + c];
        double inv = 1 / sqrt(ss / cols + 1e-5); for (int c = 0; c < cols; c++) ref[(size_t)i * cols + c] = x[(size_t)i * xs + c] * inv * (double)__bfloat162float(w[c]); }
      auto* dw = up(w); launch(K("rms_norm", "rms_norm_bf16"), dim3(rows), dim3(256), 0, (const float*)dx, xs, (const __nv_bfloat16*)dw, dout, xs, cols, 1e-5f); check("rms_norm bf16", get(), ref, 2e-6);
      for (int nb = 0; nb < 2; nb++) {
        for (int i = 0; i < rows; i++) { double s = 0; for (int c = 0; c < cols; c++) s += x[(size_t)i * xs + c]; double mean = s / cols, var = 0;
          for (int c = 0; c < cols; c++) var += (x[(size_t)i * xs + c] - mean) * (x[(size_t)i * xs + c] - mean); double inv = 1 / sqrt(var / cols + 1e-5);
          for (int c = 0; c < cols; c++) ref[(size_t)i * cols + c] = (x[(size_t)i * xs + c] - mean) * inv * wf[c] + (nb ? 0 : bf[c]); }
        float *dwf = up(wf), *dbf = nb ? nullptr : up(bf);
        launch(K("layer_norm", "layer_norm_f32"), dim3(rows), dim3(256), 0, (const float*)dx, xs, (const float*)dwf, (const float*)dbf, dout, xs, cols, 1e-5f);
        check(nb ? "layer_norm f32 nobias" : "layer_norm f32 bias", get(), ref, 2e-6); }
    }
    // argmax with ties / NaN
    { int ac = 5000; vector<float> a((size_t)4 * ac); for (auto& e : a) e = rnd(1)[0];
      a[1 * ac + 4000] = 50; a[1 * ac + 4001] = 50; a[1 * ac + 100] = NAN;  // tie -> 4000
      a[2 * ac + 0] = NAN; a[2 * ac + 7] = 99;  // x0 NaN -> 0
      for (int c = 0; c < ac; c++) a[3 * ac + c] = -INFINITY; a[3 * ac + 4999] = NAN;  // all -inf -> 0
      vector<double> ref(4); for (int r = 0; r < 4; r++) { int best = 0; float bv = a[(size_t)r * ac]; for (int c = 1; c < ac; c++) if (a[(size_t)r * ac + c] > bv) { bv = a[(size_t)r * ac + c]; best = c; } ref[r] = best; }
      float* da = up(a); int* di; CK(cudaMalloc(&di, 16)); launch(K("argmax", "argmax_f32"), dim3(4), dim3(1024), 0, (const float*)da, ac, di, ac);
      auto g = down(di, 4); vector<float> gf(g.begin(), g.end()); check("argmax", gf, ref, 0); }
    // embedding f16
    { int V = 50, D = 77; vector<__half> t((size_t)V * D); for (auto& e : t) e = __float2half(rnd(1)[0]); vector<int> ids = {3, 49, 0, 3};
      vector<double> ref(ids.size() * D); for (size_t i = 0; i < ids.size(); i++) for (int c = 0; c < D; c++) ref[i * D + c] = __half2float(t[(size_t)ids[i] * D + c]);
      auto* dt = up(t); int* did = up(ids); float* de; CK(cudaMalloc(&de, ref.size() * 4));
      launch(K("embedding", "embedding_f16"), dim3(4), dim3(256), 0, (const __half*)dt, D, (const int*)did, de, D, 4, D); check("embedding f16", down(de, ref.size()), ref, 0); }
    // rope
    for (int rd : {64, 32}) { int heads = 3, hd = 64, rr = 4; vector<int> pos = {0, 1, 4095, 100000}; vector<float> inv(rd / 2); for (int i = 0; i < rd / 2; i++) inv[i] = (float)pow(10000.0, -2.0 * i / rd);
      vector<float> xr = rnd((size_t)rr * heads * hd); vector<double> ref(xr.size());
      for (int r = 0; r < rr; r++) for (int h = 0; h < heads; h++) { int b0 = r * heads * hd + h * hd;
        for (int i = 0; i < rd / 2; i++) { double ang = (double)pos[r] * inv[i], A = xr[b0 + i], B = xr[b0 + i + rd / 2]; ref[b0 + i] = A * cos(ang) - B * sin(ang); ref[b0 + i + rd / 2] = B * cos(ang) + A * sin(ang); }
        for (int i = rd; i < hd; i++) ref[b0 + i] = xr[b0 + i]; }
      float *dxr = up(xr), *dinv = up(inv), *dro; int* dpos = up(pos); CK(cudaMalloc(&dro, xr.size() * 4));
      launch(K("rope", "rope_f32"), dim3(rr), dim3(256), 0, (const float*)dxr, heads * hd, (const int*)dpos, (const float*)dinv, dro, heads * hd, heads, hd, rd);
      check("rope rd=" + to_string(rd), down(dro, xr.size()), ref, 2e-6);
      launch(K("rope", "rope_f32"), dim3(rr), dim3(256), 0, (const float*)dxr, heads * hd, (const int*)dpos, (const float*)dinv, dxr, heads * hd, heads, hd, rd);
      check("rope in-place rd=" + to_string(rd), down(dxr, xr.size()), ref, 2e-6); }
    // cast + add_bias
    { vector<float> c = rnd(3 * 70); float* dc = up(c); __nv_bfloat16* dy; CK(cudaMalloc(&dy, 3 * 50 * 2));
      launch(K("matmul", "cast_f32_to_bf16"), dim3(2), dim3(64), 0, (const float*)dc, 70, (void*)dy, 3, 50);
      auto y = down(dy, 150); vector<float> yf(150); vector<double> ref(150); for (int i = 0; i < 3; i++) for (int j = 0; j < 50; j++) { yf[i * 50 + j] = __bfloat162float(y[i * 50 + j]); ref[i * 50 + j] = __bfloat162float(__float2bfloat16(c[i * 70 + j])); }
      check("cast_f32_to_bf16", yf, ref, 0); }
}

static float timeit(const function<void()>& f, int iters = 20) {
    for (int i = 0; i < 3; i++) f();
    cudaEvent_t a, b; cudaEventCreate(&a); cudaEventCreate(&b); vector<float> ts;
    for (int i = 0; i < iters; i++) { cudaEventRecord(a); f(); cudaEventRecord(b); cudaEventSynchronize(b); float ms; cudaEventElapsedTime(&ms, a, b); ts.push_back(ms); }
    sort(ts.begin(), ts.end()); return ts[ts.size() / 2];
}

static void bench() {
    printf("\n--- timings (median of 20, CUDA events) ---\n");
    // gemv bf16 m=1,4 n=14336 k=4096 (117 MB > L2)
    for (int m : {1, 4, 8}) for (int which = 0; which < 2; which++) {
        int n = 14336, k = 4096; size_t nw = (size_t)n * k;
        __nv_bfloat16* w; CK(cudaMalloc(&w, nw * 2)); CK(cudaMemset(w, 0, nw * 2)); float *x, *o; CK(cudaMalloc(&x, (size_t)m * k * 4)); CK(cudaMemset(x, 0, (size_t)m * k * 4)); CK(cudaMalloc(&o, (size_t)m * n * 4));
        auto kern = K("matmul", which ? "gemv_in_out_bf16" : "gemv_out_in_bf16");
        int grid = which ? (n + 31) / 32 : (n + 7) / 8;
        float ms = timeit([&] { launch(kern, dim3(grid), dim3(256), 0, (const float*)x, k, (const __nv_bfloat16*)w, which ? n : k, (const __nv_bfloat16*)nullptr, o, n, m, n, k); });
        printf("%s m=%d n=%d k=%d: %.1f us, %.0f GB/s (weights)\n", which ? "gemv_in_out_bf16" : "gemv_out_in_bf16", m, n, k, ms * 1e3, nw * 2 / (ms * 1e-3) / 1e9);
        cudaFree(w); cudaFree(x); cudaFree(o);
    }
    { int n = 14336, k = 4096; size_t nw = (size_t)n * k; float* w; CK(cudaMalloc(&w, nw * 4)); CK(cudaMemset(w, 0, nw * 4)); float *x, *o; CK(cudaMalloc(&x, k * 4)); CK(cudaMemset(x, 0, k * 4)); CK(cudaMalloc(&o, n * 4));
      float ms = timeit([&] { launch(K("matmul", "gemv_out_in_f32"), dim3((n + 7) / 8), dim3(256), 0, (const float*)x, k, (const float*)w, k, (const float*)nullptr, o, n, 1, n, k); });
      printf("gemv_out_in_f32 m=1 n=%d k=%d: %.1f us, %.0f GB/s\n", n, k, ms * 1e3, nw * 4 / (ms * 1e-3) / 1e9); cudaFree(w); cudaFree(x); cudaFree(o); }
    // decode attention: batch B, 32 heads / 8 kv, hd 128, len 4096
    for (int B : {1, 8}) for (int hd : {128, 64}) for (int block : {128, 256}) {
        int heads = 32, kvh = 8, cap = 4096, len = 4096, width = kvh * hd; int splits = max(1, 264 / (B * kvh));
        size_t cs = (size_t)B * cap * width; float *kc, *vc, *q, *part, *out; CK(cudaMalloc(&kc, cs * 4)); CK(cudaMalloc(&vc, cs * 4)); CK(cudaMemset(kc, 0, cs * 4)); CK(cudaMemset(vc, 0, cs * 4));
        CK(cudaMalloc(&q, (size_t)B * heads * hd * 4)); CK(cudaMemset(q, 0, (size_t)B * heads * hd * 4)); CK(cudaMalloc(&part, (size_t)B * heads * splits * (hd + 2) * 4)); CK(cudaMalloc(&out, (size_t)B * heads * hd * 4));
        vector<int> past(B, len - 1), slots(B); for (int b = 0; b < B; b++) slots[b] = b; int *dp = up(past), *ds = up(slots);
        int* cnt; CK(cudaMalloc(&cnt, (size_t)B * kvh * 4)); CK(cudaMemset(cnt, 0, (size_t)B * kvh * 4));
        float ms = timeit([&] {
            launch(K("attention", "attention_decode_f32"), dim3(splits, kvh, B), dim3(block), 0, (const float*)q, heads * hd, (const float*)kc, (const float*)vc, cap, (const int*)dp, (const int*)ds, (const float*)nullptr, 0, 0, (const float*)nullptr, 0, 0, part, splits, heads, kvh, hd, 0.1f, out, heads * hd, cnt); });
        double bytes = 2.0 * B * len * width * 4;
        printf("attention_decode B=%d h=32/8 hd=%d len=%d splits=%d block=%d: %.1f us, %.0f GB/s (K+V)\n", B, hd, len, splits, block, ms * 1e3, bytes / (ms * 1e-3) / 1e9);
        cudaFree(kc); cudaFree(vc); cudaFree(q); cudaFree(part); cudaFree(out); cudaFree(dp); cudaFree(ds); cudaFree(cnt);
    }
    // prefill: seq 2048, 32/8 heads, causal, uncached
    for (int hd : {64, 128, 256}) { int S = 2048, heads = 32, kvh = 8; float *q, *k, *v, *o; CK(cudaMalloc(&q, (size_t)S * heads * hd * 4)); CK(cudaMemset(q, 0, (size_t)S * heads * hd * 4));
      CK(cudaMalloc(&k, (size_t)S * kvh * hd * 4)); CK(cudaMemset(k, 0, (size_t)S * kvh * hd * 4)); CK(cudaMalloc(&v, (size_t)S * kvh * hd * 4)); CK(cudaMemset(v, 0, (size_t)S * kvh * hd * 4)); CK(cudaMalloc(&o, (size_t)S * heads * hd * 4));
      int HD = hd <= 64 ? 64 : hd <= 128 ? 128 : 256, BK = HD <= 128 ? 64 : 32; size_t smem = 4 * (HD * 64 + HD * BK + BK * 68);
      auto kern = K("attention", "attention_prefill_f32"); CK(cudaFuncSetAttribute((const void*)kern, cudaFuncAttributeMaxDynamicSharedMemorySize, 107008));
      float ms = timeit([&] { launch(kern, dim3(S / 64, heads, 1), dim3(256), smem, (const float*)q, heads * hd, (const float*)k, kvh * hd, (const float*)v, kvh * hd, (const float*)nullptr, (const float*)nullptr, 0, 0,
          (const int*)nullptr, (const int*)nullptr, (const float*)nullptr, 0, 0, (const float*)nullptr, 0, 0, o, heads * hd, S, S, heads, kvh, hd, 0.1f, 1); }, 5);
      double flops = 4.0 * S * S / 2 * hd * heads;
      printf("attention_prefill S=%d h=32/8 hd=%d causal: %.1f us, %.1f TFLOP/s\n", S, hd, ms * 1e3, flops / (ms * 1e-3) / 1e12);
      cudaFree(q); cudaFree(k); cudaFree(v); cudaFree(o); }
}

int main(int argc, char** argv) {
    DIR = argc > 1 ? argv[1] : "kout/dev/strata/cuda/kernels";
    cudaDeviceProp p; CK(cudaGetDeviceProperties(&p, 0)); printf("device: %s (sm_%d%d, %d SMs)\n", p.name, p.major, p.minor, p.multiProcessorCount);
    test_misc();
    for (int outIn = 1; outIn >= 0; outIn--) {
        int dims[][4] = {{1, 777, 13, 13}, {3, 100, 769, 800}, {8, 256, 4096, 4096}, {1, 300, 4096, 4100}, {5, 64, 1000, 1001}, {9, 40, 64, 64}, {2, 33, 24, 24}, {7, 129, 2048, 2048}};
        for (auto& d : dims) for (int bias = 0; bias < 2; bias++) {
            int grid = outIn ? (d[1] + 7) / 8 : (d[1] + 31) / 32;
            test_gemv<float>(d[0], d[1], d[2], d[3], outIn, bias, 256, grid);
            test_gemv<__nv_bfloat16>(d[0], d[1], d[2], d[3], outIn, bias, 256, bias ? 3 : grid);
            test_gemv<__half>(d[0], d[1], d[2], d[3], outIn, bias, 256, grid);
        }
    }
    for (int hd : {8, 6, 64, 80, 128, 256, 96}) for (int cached = 0; cached < 2; cached++) for (int causal = 0; causal < 2; causal++) for (int useMask = 0; useMask < 2; useMask++) {
        int seq = (hd == 256) ? 70 : 37; vector<int> past = {5, 70};
        Att a{2, seq, 4, 2, hd, 200, 4, (bool)cached, (bool)causal, (bool)useMask, cached ? 180 : seq, 1.f / sqrtf((float)hd)};
        if (!useMask) a.maskCols = 0;
        test_attention(a, past, false, 1, 256, "");
    }
    { Att a{3, 130, 8, 8, 64, 400, 3, true, true, false, 0, 0.125f}; test_attention(a, {0, 3, 200}, false, 1, 256, "long"); }
    { Att a{2, 1, 6, 3, 128, 300, 2, true, false, true, 150, 0.1f}; test_attention(a, {0, 280}, false, 1, 256, "seq1"); }
    // Cross-attention (kvLen != seqLen, padding mask) and T5 position bias, uncached and cached.
    for (int hd : {16, 6, 64, 96}) for (int kvLen : {9, 1, 77}) {
        Att a{2, 6, 4, 4, hd, 8, 1, false, false, true, kvLen, 1.f}; a.kvLen = kvLen; test_attention(a, {0, 0}, false, 1, 256, "cross");
        Att t{3, 7, 4, 2, hd, 8, 1, false, false, kvLen > 1, 5, 1.f}; t.kvLen = kvLen; t.useBias = true; test_attention(t, {0, 0, 0}, false, 1, 256, "bias");
    }
    for (int hd : {16, 64}) {
        Att a{2, 5, 4, 4, hd, 40, 3, true, true, false, 0, 1.f}; a.useBias = true; test_attention(a, {0, 11}, false, 1, 256, "bias cached");
        for (int splits : {1, 3}) { Att d{3, 1, 8, 2, hd, 40, 4, true, false, false, 0, 1.f}; d.useBias = true; test_attention(d, {0, 9, 39}, true, splits, 256, "bias"); }
    }
    int gs[][2] = {{4, 4}, {8, 2}, {16, 2}, {28, 4}, {32, 1}, {12, 1}, {6, 2}};
    for (int hd : {8, 6, 64, 80, 128, 256, 96, 200}) for (auto& g : gs) for (int splits : {1, 3, 16}) for (int block : {128, 256}) {
        if ((hd == 256 || hd == 200) && g[0] > 8) continue;
        Att a{3, 1, g[0], g[1], hd, 300, 4, true, false, splits == 3, 250, 1.f / sqrtf((float)hd)};
        test_attention(a, {0, 37, 298}, true, splits, block, "");
    }
    printf("\n%d checks, %d failures\n", checks, fails);
    bench();
    return fails != 0;
}
