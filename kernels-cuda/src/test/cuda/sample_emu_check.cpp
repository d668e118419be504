// Runs sample.cu's sample_f32 and argmax.cu's argmax_f32 under the host emulation (host_emu.h), on
// a machine without a GPU, with the launch plans ElementwiseCuda.sample / .argmax make (grid (rows,
// splits), 1024 threads, the same scratch), and checks:
//   - argmax_f32, split or not, against a sequential scan (first index on ties, NaN never wins, a
//     NaN at 0 gives 0);
//   - every path of sample_f32 (option bits: 1 compaction, 2 top-p by rejection, 4 the warp pick,
//     8 the split top-k; a split launch; the split draw's argmax launch first and its test launch
//     after) draws the same token
//     as the plain single-block path (options 0), which ran on an H100 against the CPU reference
//     (bench/RESULTS.md): the paths differ in how they find the same cuts and the same argmax;
//   - the split counters are zero again after every launch (the next launch, a CUDA graph replay,
//     needs them so), and the greedy rows equal the scan.
// Rows: random, coarse (ties at every cut), -inf and NaN entries, all equal, NaN at 0, all -inf,
// +inf present, ties at the top that fit or overflow the candidates, rows masked to -inf but for a
// few tokens, the first and last columns of every part high (where a part's bounds would go
// wrong), three tokens holding the mass with top-p ending at the second or third; params: greedy, plain temperature, top-k 2 to past the vocabulary, top-p down to one
// unit, min-p, near-uniform draws (T = 1e30) that show a cut one token off; vocabularies of 1,000
// (one part), 20,000, 32,003 and 128,256 (16 parts).
// Options 0 runs round-robin (host_emu.h's schedules); every path, options 0 too, runs again warp by
// warp and shuffled, and must draw what that first run drew.
// Usage: sample_emu_check [vocabulary...]   (1000, 20000, 32003, 128256; all by default; exit 0:
// every check passed)
#include "../../emu/host_emu.h"

#include "../../main/cuda/argmax.cu"
#include "../../main/cuda/sample.cu"

#include <chrono>
#include <string>

namespace {

constexpr int PARAMS = 7, THREADS = 1024, SPLIT_COLS = 8192, MAX_SPLITS = 32, CANDIDATES = 2048;
constexpr int TOP_P_ONE_UNITS = 1 << 24;

int argmax_splits(int cols) { return std::min(MAX_SPLITS, std::max(1, (cols + SPLIT_COLS - 1) / SPLIT_COLS)); }

struct Rows {
    int rows = 0, cols = 0;
    std::vector<float> x;
    std::vector<int> params;
    std::vector<std::string> what;
};

int float_bits(float f) {
    int b;
    std::memcpy(&b, &f, 4);
    return b;
}

void add_params(Rows& r, float t, int topK, float topP, float minP, uint64_t seed, int step) {
    const int units = topP >= 1.f ? TOP_P_ONE_UNITS : std::max(1, (int)std::lround((double)topP * TOP_P_ONE_UNITS));
    r.params.insert(r.params.end(), {float_bits(t), topK, units, float_bits(minP), (int)(uint32_t)seed, (int)(uint32_t)(seed >> 32), step});
}

// temperature, top-k, top-p, min-p
const float KINDS[][4] = {{0.f, 0, 1.f, 0.f},     {1.f, 1, 1.f, 0.f},      {1.f, 0, 1.f, 0.f},        {0.7f, 0, 1.f, 0.f},
                          {1.3f, 50, 1.f, 0.f},   {1.f, 2, 1.f, 0.f},      {0.8f, 0, 0.9f, 0.f},      {1.f, 0, 0.5f, 0.f},
                          {1.f, 0, 1e-6f, 0.f},   {1.f, 40, 0.95f, 0.f},   {1.f, 0, 1.f, 0.05f},      {0.9f, 100, 0.8f, 0.02f},
                          {1.f, 1000000, 0.99f, 0.f}, {2.f, 7, 1.f, 0.f}, {1.1f, 1000000, 1.f, 0.f}, {1.f, 64, 1.f, 0.f},
                          {1.f, 65, 0.9f, 0.f},   {0.5f, 256, 1.f, 0.f},  {1.f, 1024, 0.95f, 0.f},   {1.f, 1025, 1.f, 0.01f},
                          {1e-3f, 40, 1.f, 0.f},  {1e30f, 0, 1.f, 0.f},   {1.f, 0, 0.999f, 0.5f},
                          // near-uniform draws over what the cuts keep: a cut one token off shows often
                          {1e30f, 2, 1.f, 0.f},   {1e30f, 3, 1.f, 0.f},   {1e30f, 0, 0.3f, 0.f},     {1e30f, 5, 0.7f, 0.f},
                          {1e30f, 40, 1.f, 0.f}};
constexpr int NKINDS = sizeof(KINDS) / sizeof(KINDS[0]);

enum Shape { GAUSS, COARSE, HOLES, EQUAL, NAN0, ALL_NEG_INF, POS_INF, TIED_TOP, MASKED, EDGES, NUCLEUS, NSHAPES };
const char* const SHAPE_NAMES[] = {"gauss", "coarse", "holes", "equal", "nan0", "all-inf", "+inf", "tied-top", "masked", "edges", "nucleus"};

Rows make_rows(int cols, int kindsPerShape, uint64_t seed) {
    Rows r;
    r.cols = cols;
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.f, 1.f);
    const int tied[] = {1, 600, 1500, cols};
    const int finite[] = {1, 5, 39, 40, 41, 600};
    int n = 0;
    // the first and last column of every part of a split row (split_part's chunks)
    const int parts = argmax_splits(cols), chunk = (cols + parts - 1) / parts;
    std::vector<int> edges;
    for (int s = 0; s < parts; s++)
        for (int c : {s * chunk, std::min(cols, (s + 1) * chunk) - 1})
            if (c >= 0 && c < cols && (edges.empty() || edges.back() != c)) edges.push_back(c);
    for (int shape = 0; shape < NSHAPES; shape++)
        for (int j = 0; j < (shape == EDGES ? 3 : shape == NUCLEUS ? 8 : kindsPerShape); j++, n++) {
            const float* k = KINDS[(n * 7 + shape) % NKINDS];
            std::vector<float> row(cols);
            for (float& v : row) v = normal(rng) * 3.f;
            std::string what = SHAPE_NAMES[shape];
            switch (shape) {
                case COARSE:
                    for (float& v : row) v = std::round(v * 2.f) / 2.f;
                    break;
                case HOLES:
                    for (int c = 1; c < cols; c += 3) row[c] = -INFINITY;
                    row[7 % cols] = NAN;
                    break;
                case EQUAL: std::fill(row.begin(), row.end(), 0.5f); break;
                case NAN0: row[0] = NAN; break;
                case ALL_NEG_INF: std::fill(row.begin(), row.end(), -INFINITY); break;
                case POS_INF: row[(j * 977) % cols] = INFINITY; break;
                case TIED_TOP: {
                    const int t = std::min(tied[j % 4], cols);
                    for (int i = 0; i < t; i++) row[(size_t)i * cols / t] = 30.f;  // above every N(0, 9) logit
                    what += " " + std::to_string(t);
                    break;
                }
                case MASKED: {
                    const int f = std::min(finite[j % 6], cols);
                    std::fill(row.begin(), row.end(), -INFINITY);
                    for (int i = 0; i < f; i++) row[(size_t)i * cols / f + rng() % (cols / f)] = normal(rng) * 0.25f;
                    what += " " + std::to_string(f);
                    break;
                }
                case EDGES:
                    // every part's first and last columns high: all 30 (j 0, 2) or rising to the
                    // maximum at part 0's last column (j 1)
                    for (size_t e = 0; e < edges.size(); e++) row[edges[e]] = j == 1 ? 30.f + 0.01f * (float)e : 30.f;
                    if (j == 1) row[edges[std::min<size_t>(1, edges.size() - 1)]] = 40.f;
                    break;
                case NUCLEUS:
                    // three tokens hold the mass (0.5, 0.3, 0.2 at T = 1, in three parts); top-p
                    // 0.6, 0.7, 0.85 ends the nucleus at the second or the third: its last token
                    // is drawn often, so a test off by that token's own mass shows
                    for (float& v : row) v -= 40.f;
                    row[(size_t)cols / 5] = std::log(0.5f);
                    row[(size_t)cols / 2] = std::log(0.3f);
                    row[(size_t)cols - 3] = std::log(0.2f);
                    break;
                default: break;
            }
            // the masked and tied shapes are top-k rows
            float t = k[0], topP = k[2], minP = k[3];
            int topK = (int)k[1];
            if (shape == NUCLEUS) {
                t = 1.f;
                topK = 0;
                topP = j % 3 == 0 ? 0.6f : j % 3 == 1 ? 0.7f : 0.85f;
                minP = 0.f;
            }
            if (shape == EDGES) {
                // j 0: a uniform top-k draw over the edges (split top-k); j 1: greedy (split argmax);
                // j 2: a plain draw, uniform over the edges in effect (split draw)
                t = j == 0 ? 1e30f : j == 1 ? 0.f : 1.f;
                topK = j == 0 ? (int)edges.size() : 0;
                topP = 1.f;
                minP = 0.f;
            }
            if ((shape == MASKED || shape == TIED_TOP) && !(topK > 1 && topK <= 1024)) topK = 40 + j;
            if ((shape == MASKED || shape == TIED_TOP) && t <= 0.f) t = 1.f;
            r.x.insert(r.x.end(), row.begin(), row.end());
            add_params(r, t, topK, topP, minP, 1000ull * n + seed, n % 5);
            char buf[96];
            std::snprintf(buf, sizeof buf, " T=%g k=%d p=%g minp=%g", t, topK, topP, minP);
            r.what.push_back(what + buf);
        }
    r.rows = n;
    return r;
}

// Device-style scratch for one row set: split parts, counters (zero), candidates, the split
// draw's row argmax and its own argmax scratch, sized as ElementwiseCuda plans them.
struct Scratch {
    std::vector<float> partV, argPartV, candV;
    std::vector<int> partI, argPartI, candI, counters, argCounters, rowArgmax;
    std::vector<unsigned long long> partZ;
    Scratch(int rows, int splits)
        : partV((size_t)rows * splits, NAN), argPartV((size_t)rows * splits, NAN), candV((size_t)rows * CANDIDATES, NAN),
          partI((size_t)rows * splits, 0x5a5a5a5a), argPartI((size_t)rows * splits, 0x5a5a5a5a), candI((size_t)rows * CANDIDATES, 0x5a5a5a5a),
          counters(2 * (size_t)rows, 0), argCounters(rows, 0), rowArgmax(rows, -1), partZ((size_t)rows * (splits + 2), 0x5a5a5a5a5a5a5a5aull) {}
};

int failures = 0;

void expect_zero(const std::vector<int>& counters, const std::string& what) {
    for (size_t i = 0; i < counters.size(); i++)
        if (counters[i] != 0) {
            std::printf("FAIL %s: counter %zu is %d after the launch\n", what.c_str(), i, counters[i]);
            failures++;
            return;
        }
}

int scan_argmax(const float* row, int cols) {
    if (cols <= 0 || row[0] != row[0]) return 0;
    int best = 0;
    for (int c = 1; c < cols; c++)
        if (row[c] > row[best]) best = c;
    return best;
}

std::vector<int> run_argmax(const Rows& r, Scratch& s, bool split) {
    const int splits = split ? argmax_splits(r.cols) : 1;
    std::vector<int> out(r.rows, -1);
    const float* x = r.x.data();
    float* pv = splits > 1 ? s.argPartV.data() : nullptr;
    int* pi = splits > 1 ? s.argPartI.data() : nullptr;
    int* counters = splits > 1 ? s.argCounters.data() : nullptr;
    int* o = out.data();
    const int cols = r.cols;
    emu::launch(dim3(r.rows, splits), dim3(THREADS), [&] { argmax_f32(x, cols, o, cols, pv, pi, counters); });
    expect_zero(s.argCounters, "argmax_f32");
    return out;
}

std::vector<int> run_sample(const Rows& r, Scratch& s, int options, bool split, bool splitDraw) {
    const int splits = split ? argmax_splits(r.cols) : 1;
    const int* rowArgmax = nullptr;
    unsigned long long* partZ = nullptr;
    if (splitDraw && splits > 1) {
        s.rowArgmax = run_argmax(r, s, true);
        rowArgmax = s.rowArgmax.data();
        partZ = s.partZ.data();
    }
    const bool splitTopK = splits > 1 && (options & 8) != 0;
    std::vector<int> out(r.rows, -1);
    const float* x = r.x.data();
    const int* p = r.params.data();
    float* pv = splits > 1 ? s.partV.data() : nullptr;
    int* pi = splits > 1 ? s.partI.data() : nullptr;
    int* counters = splits > 1 ? s.counters.data() : nullptr;
    float* cv = splitTopK ? s.candV.data() : nullptr;
    int* ci = splitTopK ? s.candI.data() : nullptr;
    int* o = out.data();
    const int cols = r.cols;
    emu::launch(dim3(r.rows, splits), dim3(THREADS), [&] { sample_f32(x, cols, p, PARAMS, o, cols, options, pv, pi, counters, cv, ci, rowArgmax, partZ); });
    expect_zero(s.counters, "sample_f32");
    if (partZ != nullptr) {  // the test launch (option bit 4) finishes the top-p rows
        emu::launch(dim3(r.rows, splits), dim3(THREADS), [&] { sample_f32(x, cols, p, PARAMS, o, cols, options | 16, pv, pi, counters, cv, ci, rowArgmax, partZ); });
        expect_zero(s.counters, "sample_f32's test launch");
    }
    return out;
}

struct Path {
    int options;
    bool split, splitDraw;
};

const Path PATHS[] = {{1, false, false}, {2, false, false}, {3, false, false}, {4, false, false}, {7, false, false}, {15, false, false},
                      {0, true, false},  {3, true, false},  {7, true, false},  {8, true, false},  {11, true, false}, {15, true, false},
                      {0, true, true},   {3, true, true},   {11, true, true},  {15, true, true}};

std::string name(const Path& p) {
    return "options " + std::to_string(p.options) + (p.split ? ", split" : "") + (p.splitDraw ? ", split draw" : "");
}

void check_rows(const Rows& r) {
    const auto start = std::chrono::steady_clock::now();
    const int parts = argmax_splits(r.cols);
    Scratch s(r.rows, parts);
    for (bool split : {false, true}) {
        const std::vector<int> got = run_argmax(r, s, split);
        for (int i = 0; i < r.rows; i++) {
            const int want = scan_argmax(r.x.data() + (size_t)i * r.cols, r.cols);
            if (got[i] != want) {
                std::printf("FAIL argmax_f32%s vocab %d row %d (%s): %d, the scan %d\n", split ? " split" : "", r.cols, i, r.what[i].c_str(), got[i], want);
                failures++;
            }
        }
    }
    emu::set_schedule(emu::ROUND_ROBIN);
    const std::vector<int> ref = run_sample(r, s, 0, false, false);
    for (int i = 0; i < r.rows; i++) {
        const int* p = r.params.data() + (size_t)i * PARAMS;
        float t;
        std::memcpy(&t, p, 4);
        const float* row = r.x.data() + (size_t)i * r.cols;
        const int m = scan_argmax(row, r.cols);
        const bool greedy = !(t > 0.f) || p[1] == 1 || !std::isfinite(row[m]);
        if (greedy && ref[i] != m) {
            std::printf("FAIL sample_f32 options 0 vocab %d row %d (%s): greedy row drew %d, the scan %d\n", r.cols, i, r.what[i].c_str(), ref[i], m);
            failures++;
        }
        if (!(ref[i] >= 0 && ref[i] < r.cols)) {
            std::printf("FAIL sample_f32 options 0 vocab %d row %d: token %d out of range\n", r.cols, i, ref[i]);
            failures++;
        }
    }
    int paths = 0;
    std::vector<Path> all = {{0, false, false}};  // options 0 itself under the other schedules
    for (const Path& path : PATHS)
        if (!path.split || parts > 1) all.push_back(path);  // one part: a split launch is the unsplit one
    for (const Path& path : all)
        for (emu::Schedule schedule : {emu::WARP_BY_WARP, emu::SHUFFLED}) {
            paths++;
            emu::set_schedule(schedule, 0x5eedull + (uint64_t)r.cols + (uint64_t)paths);
            const std::vector<int> got = run_sample(r, s, path.options, path.split, path.splitDraw);
            int bad = 0;
            for (int i = 0; i < r.rows; i++)
                if (got[i] != ref[i] && bad++ < 5)
                    std::printf("FAIL sample_f32 %s (%s) vocab %d row %d (%s): %d, options 0 drew %d\n", name(path).c_str(),
                                schedule == emu::SHUFFLED ? "shuffled" : "warp by warp", r.cols, i, r.what[i].c_str(), got[i], ref[i]);
            failures += bad;
        }
    emu::set_schedule(emu::ROUND_ROBIN);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("vocab %d: %d rows, %d parts when split, %d runs against options 0 (%.1f s)\n", r.cols, r.rows, parts, paths, took);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    // vocabulary, rows per shape, seed; the arguments pick vocabularies (all by default), so that
    // the test can run them in two processes at once
    const int sets[][3] = {{1000, 4, 1}, {20000, 3, 2}, {32003, 2, 3}, {128256, 1, 4}};
    int ran = 0;
    for (const auto& set : sets) {
        bool wanted = argc == 1;
        for (int a = 1; a < argc; a++) wanted |= std::atoi(argv[a]) == set[0];
        if (!wanted) continue;
        check_rows(make_rows(set[0], set[1], set[2]));
        ran++;
    }
    if (ran == 0) {
        std::printf("sample_emu_check: no vocabulary of 1000, 20000, 32003 or 128256 asked for\n");
        return 2;
    }
    if (failures > 0) {
        std::printf("sample_emu_check: %d failures\n", failures);
        return 1;
    }
    std::printf("sample_emu_check: every path drew the same tokens as options 0\n");
    return 0;
}
