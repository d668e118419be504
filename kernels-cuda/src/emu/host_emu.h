// Host emulation of the CUDA execution model, for running kernel sources on a machine without a GPU
// (g++, CUDA headers for the bf16/f16 and vector types; no CUDA runtime). Include it before a .cu
// file; launch a kernel with emu::launch(grid, block, [&] { kernel(args...); }).
//
// What it models:
//   - each CUDA thread is a fiber (ucontext for its first entry, _setjmp/_longjmp for switches) on
//     one OS thread; a thread runs until it reaches a barrier or a warp intrinsic, then the next
//     runs, by one of three schedules (emu::set_schedule): round-robin over the block's threads;
//     warp by warp (warp 0 runs until every lane waits at __syncthreads or has exited, then warp
//     1, ...: a read of another warp's writes without the barrier between sees them missing); or
//     a seeded random order, blocks shuffled too;
//   - __syncthreads waits for every thread of the block that has not exited; __syncwarp and the
//     warp intrinsics (__shfl*_sync, __ballot_sync, __any_sync, __all_sync, __match_any_sync,
//     __reduce_add_sync) rendezvous the lanes of their mask, which must all call with that mask;
//   - blocks run one after another, in grid order or a seeded random order, so "last block to
//     finish" merges run in whichever block comes last; __shared__ variables are static (one per
//     declaration, reused block after block);
//   - atomics are plain read-modify-writes (nothing runs between a fiber's switches); fences are
//     no-ops; __ldg / __ldcg are plain loads that stop the run where a vector type (float4, uint4,
//     float2) is misaligned, as the device faults.
// What it catches: a block that can never pass a barrier (divergent __syncthreads, a warp
// intrinsic with lanes missing or exited) stops the run with the waiting threads named; __trap,
// an intrinsic called by a lane outside its mask and a shuffle from a lane outside the mask do too.
// A missing __syncthreads between one warp's writes and another's reads shows as wrong results
// under the warp-by-warp schedule where the reader's warp comes first (the checks run the kernels
// under all three schedules).
// Tensor cores: emu::mma_m16n8k16 and emu::ldmatrix_x4 are the host versions of mma.sync
// m16n8k16 (row.col, BF16 or F16 inputs, F32 accumulators) and ldmatrix .m8n8.x4 (.trans), warp
// collectives with the PTX ISA's fragment layouts: the lanes' fragments are exchanged and each lane
// computes its own (products summed in double, then added to its accumulator in float, where the
// hardware's order and rounding of the sum differ in the last bits). __cvta_generic_to_shared gives
// an offset into the launch's dynamic shared memory, which ldmatrix reads; a row address outside it
// or not 16-byte aligned stops the run.
// What it does not model: shared memory's contents before a kernel writes them (static, so zero
// before the first block: a read of unwritten shared memory does not show; dynamic shared memory is
// all bits set, NaN), misaligned vector stores and plain vector loads, concurrency between blocks
// (no memory-model or fence bugs show), warps running in lockstep without intrinsics, timing, other
// inline PTX (functions that use it compile, but must not be called; strata_cuda.cuh's cp.async and
// dynamic shared memory and attention_mma.cu's mma and ldmatrix have host versions).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <vector_functions.h>
#include <vector_types.h>

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <functional>
#include <random>
#include <vector>

#undef __shared__
#define __shared__ static
#define __launch_bounds__(...)
#define STRATA_HOST_EMULATION 1  // strata_cuda.cuh: host versions of cp.async, dynamic shared memory, prefetch

namespace emu {

// Where a failure goes: with failure_jump set (the library, strata_cuda_emu.cpp), failf longjmps
// there with the message in failure_message, and the next launch starts afresh; otherwise (the
// check programs) it prints the message and exits with status 3.
inline jmp_buf* failure_jump = nullptr;
inline char failure_message[1024];

[[noreturn]] __attribute__((format(printf, 1, 2))) inline void failf(const char* format, ...) {
    va_list args;
    va_start(args, format);
    std::vsnprintf(failure_message, sizeof failure_message, format, args);
    va_end(args);
    if (failure_jump != nullptr) _longjmp(*failure_jump, 1);
    std::fprintf(stderr, "emu: %s\n", failure_message);
    std::exit(3);
}

[[noreturn]] inline void fail(const char* what) { failf("%s", what); }

struct Fiber {
    ucontext_t entry;
    jmp_buf env;
    char* stack = nullptr;
    uint3 tid{};
    unsigned linear = 0;  // x + y·blockDim.x + z·blockDim.x·blockDim.y: warps are 32 consecutive ones
    bool alive = false, done = false;  // alive: its context exists (running a block's body, or parked for the next block)
    const unsigned* waitGen = nullptr;  // waiting until *waitGen != waitFor
    unsigned waitFor = 0;
    const char* waitWhat = nullptr;
};

// A rendezvous of the lanes of one warp mask (or of the whole block).
struct Rendezvous {
    unsigned mask = 0, arrived = 0, gen = 0;
    uint64_t in[32] = {}, out[32] = {};
};

constexpr size_t STACK_BYTES = 256 * 1024;

struct State {
    std::vector<Fiber> fibers;
    std::vector<std::unordered_map<unsigned, Rendezvous>> warps;  // per warp, one per mask in use (nodes stay put: waiting fibers point into them)
    std::vector<unsigned> gone;                  // per warp, the lanes that have exited or lie past the block
    Rendezvous block;                            // __syncthreads
    unsigned live = 0;
    Fiber* current = nullptr;
    jmp_buf scheduler;
    ucontext_t schedulerContext;
    dim3 blockIdx{}, blockDim{}, gridDim{};
    std::function<void()> body;
    std::vector<float4> dynamicSmem;  // the launch's dynamic shared memory, 16-byte aligned
    std::mt19937_64 order{0};
    int schedule = 0;
};

inline State the_state;
inline State& state() { return the_state; }

enum Schedule { ROUND_ROBIN, WARP_BY_WARP, SHUFFLED };

// How the threads of a block take turns (blocks run in grid order, but for SHUFFLED); `seed` seeds
// SHUFFLED's order of threads at every round and of the blocks.
inline void set_schedule(Schedule schedule, uint64_t seed = 1) {
    state().schedule = schedule;
    state().order.seed(seed);
}

inline void yield_to_scheduler() {
    State& s = state();
    if (!_setjmp(s.current->env)) _longjmp(s.scheduler, 1);
}

inline void wait_for(const unsigned* gen, unsigned from, const char* what) {
    Fiber* f = state().current;
    f->waitGen = gen;
    f->waitFor = from;
    f->waitWhat = what;
    yield_to_scheduler();
}

inline unsigned lane() { return state().current->linear & 31u; }

inline void release_block_barrier_if_complete() {
    State& s = state();
    if (s.block.arrived > 0 && s.block.arrived == s.live) {
        s.block.arrived = 0;
        s.block.gen++;
    }
}

inline void syncthreads() {
    State& s = state();
    const unsigned g = s.block.gen;
    s.block.arrived++;
    if (s.block.arrived == s.live) {
        s.block.arrived = 0;
        s.block.gen++;
        return;
    }
    wait_for(&s.block.gen, g, "__syncthreads");
}

// Every lane of `mask` passes its value; every lane gets all of them (out[lane] for lanes in mask).
inline const uint64_t* exchange(unsigned mask, uint64_t v, const char* what) {
    State& s = state();
    const unsigned warp = s.current->linear / 32, l = lane();
    if (!((mask >> l) & 1u)) {
        failf("%s called by lane %u outside its mask %08x (thread %u, block %u,%u)", what, l, mask, s.current->tid.x, s.blockIdx.x,
              s.blockIdx.y);
    }
    if (mask & s.gone[warp]) {
        failf("%s with mask %08x, but lanes %08x have exited or do not exist (block %u,%u)", what, mask, mask & s.gone[warp],
              s.blockIdx.x, s.blockIdx.y);
    }
    Rendezvous* r = &s.warps[warp][mask];
    r->mask = mask;
    r->in[l] = v;
    const unsigned g = r->gen;
    if (++r->arrived == (unsigned)__builtin_popcount(mask)) {
        std::memcpy(r->out, r->in, sizeof r->in);
        r->arrived = 0;
        r->gen++;
    } else {
        wait_for(&r->gen, g, what);
    }
    return r->out;
}

template <typename T>
inline uint64_t bits(T v) {
    static_assert(sizeof(T) <= 8, "up to 64-bit values");
    uint64_t b = 0;
    std::memcpy(&b, &v, sizeof(T));
    return b;
}

template <typename T>
inline T from_bits(uint64_t b) {
    T v;
    std::memcpy(&v, &b, sizeof(T));
    return v;
}

// A fiber's life: made once (ucontext, whose calls cost system calls), it runs the body for its
// thread of a block, parks, and is resumed for its thread of the next block, launch after launch.
inline void fiber_main() {
    for (;;) {
        State& s = state();
        s.body();
        Fiber* f = s.current;
        f->done = true;
        s.gone[f->linear / 32] |= 1u << (f->linear & 31);
        s.live--;
        release_block_barrier_if_complete();
        yield_to_scheduler();  // parked until the next block's scheduler resumes it
    }
}

// After a failure left fibers in the middle of a body (the library's failure_jump): each is made
// afresh when next needed.
inline void abandon_fibers() {
    for (Fiber& f : state().fibers) f.alive = false;
    state().current = nullptr;
}

inline void run_block(const dim3& idx) {
    State& s = state();
    s.blockIdx = idx;
    const unsigned n = s.blockDim.x * s.blockDim.y * s.blockDim.z;
    if (s.fibers.size() < n) {  // grows only (every fiber is parked between blocks, its stack kept)
        const size_t old = s.fibers.size();
        s.fibers.resize(n);
        for (size_t i = old; i < n; i++) {
            void* p = mmap(nullptr, STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (p == MAP_FAILED) fail("mmap of a fiber stack failed");
            s.fibers[i].stack = static_cast<char*>(p);
        }
    }
    s.warps.assign((n + 31) / 32, {});
    s.gone.assign((n + 31) / 32, 0u);
    if (n % 32 != 0) s.gone.back() = ~0u << (n % 32);
    s.block = Rendezvous{};
    s.live = n;
    for (unsigned i = 0; i < n; i++) {
        Fiber& f = s.fibers[i];
        f.linear = i;
        f.tid = uint3{i % s.blockDim.x, (i / s.blockDim.x) % s.blockDim.y, i / (s.blockDim.x * s.blockDim.y)};
        f.done = false;
        f.waitGen = nullptr;
    }
    std::vector<unsigned> order(n);
    for (unsigned i = 0; i < n; i++) order[i] = i;
    // Runs thread i on to its next wait, if it can run; false if it cannot.
    const auto step = [&](unsigned i) {
        Fiber& f = s.fibers[i];
        if (f.done || (f.waitGen != nullptr && *f.waitGen == f.waitFor)) return false;
        f.waitGen = nullptr;
        s.current = &f;
        if (!_setjmp(s.scheduler)) {
            if (!f.alive) {
                f.alive = true;
                getcontext(&f.entry);
                f.entry.uc_stack.ss_sp = f.stack;
                f.entry.uc_stack.ss_size = STACK_BYTES;
                f.entry.uc_link = nullptr;
                makecontext(&f.entry, fiber_main, 0);
                setcontext(&f.entry);
            } else {
                _longjmp(f.env, 1);
            }
        }
        return true;
    };
    while (s.live > 0) {
        bool progressed = false;
        if (s.schedule == WARP_BY_WARP) {
            for (unsigned w0 = 0; w0 < n; w0 += 32) {
                for (bool more = true; more;) {  // this warp until none of its lanes can run
                    more = false;
                    for (unsigned i = w0; i < std::min(n, w0 + 32); i++) more |= step(i);
                    progressed |= more;
                }
            }
        } else {
            if (s.schedule == SHUFFLED) std::shuffle(order.begin(), order.end(), s.order);
            for (unsigned i : order) progressed |= step(i);
        }
        if (!progressed) {
            char waiting[512] = "";
            int shown = 0;
            for (unsigned i = 0; i < n; i++)
                if (const Fiber& f = s.fibers[i]; !f.done && shown++ < 8) {
                    const size_t used = std::strlen(waiting);
                    std::snprintf(waiting + used, sizeof waiting - used, "%s thread %u at %s", shown > 1 ? ";" : "", f.tid.x, f.waitWhat);
                }
            failf("block %u,%u,%u can never go on; waiting:%s", idx.x, idx.y, idx.z, waiting);
        }
    }
    s.current = nullptr;
}

// A load through the read-only or L2 path: a plain load, but a vector type must be aligned as on
// the device, where a misaligned 8- or 16-byte load faults.
template <typename T>
inline T aligned_load(const T* p, const char* what) {
    if (reinterpret_cast<uintptr_t>(p) % alignof(T) != 0) {
        failf("%s of %zu bytes from %p, not %zu-byte aligned (block %u,%u thread %u)", what, sizeof(T), static_cast<const void*>(p),
              alignof(T), state().blockIdx.x, state().blockIdx.y, state().current->tid.x);
    }
    return *p;
}

// Runs body (a call of the kernel) for every thread of every block of the grid, with
// dynamicSmemBytes of dynamic shared memory (STRATA_DYNAMIC_SHARED), all bits set (NaN as floats)
// at each block's start.
inline void launch(dim3 grid, dim3 block, std::function<void()> body, size_t dynamicSmemBytes = 0) {
    State& s = state();
    s.dynamicSmem.assign((dynamicSmemBytes + 15) / 16, float4{});
    s.gridDim = grid;
    s.blockDim = block;
    s.body = std::move(body);
    std::vector<dim3> blocks;
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++) blocks.push_back(dim3(x, y, z));
    if (s.schedule == SHUFFLED) std::shuffle(blocks.begin(), blocks.end(), s.order);
    for (const dim3& b : blocks) {
        std::memset(s.dynamicSmem.data(), 0xff, s.dynamicSmem.size() * sizeof(float4));
        run_block(b);
    }
}

}  // namespace emu

#define threadIdx (emu::state().current->tid)
#define blockIdx (emu::state().blockIdx)
#define blockDim (emu::state().blockDim)
#define gridDim (emu::state().gridDim)

inline void __syncthreads() { emu::syncthreads(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { emu::exchange(mask, 0, "__syncwarp"); }
inline void __threadfence() {}
inline void __threadfence_block() {}
[[noreturn]] inline void __trap() {
    emu::failf("__trap in block %u,%u thread %u", blockIdx.x, blockIdx.y, threadIdx.x);
}

template <typename T>
inline T __ldg(const T* p) { return emu::aligned_load(p, "__ldg"); }
template <typename T>
inline T __ldcg(const T* p) { return emu::aligned_load(p, "__ldcg"); }

template <typename T>
inline T __shfl_sync(unsigned mask, T v, int src, int width = 32) {
    const uint64_t* all = emu::exchange(mask, emu::bits(v), "__shfl_sync");
    const unsigned l = emu::lane(), s = (l & ~(unsigned)(width - 1)) + ((unsigned)src & (unsigned)(width - 1));
    if (!((mask >> s) & 1u)) emu::fail("__shfl_sync from a lane outside the mask");
    return emu::from_bits<T>(all[s]);
}
template <typename T>
inline T __shfl_xor_sync(unsigned mask, T v, int laneMask, int width = 32) {
    const uint64_t* all = emu::exchange(mask, emu::bits(v), "__shfl_xor_sync");
    const unsigned l = emu::lane(), s = l ^ (unsigned)laneMask;
    if ((s & ~(unsigned)(width - 1)) != (l & ~(unsigned)(width - 1))) return v;
    if (!((mask >> s) & 1u)) emu::fail("__shfl_xor_sync from a lane outside the mask");
    return emu::from_bits<T>(all[s]);
}
template <typename T>
inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    const uint64_t* all = emu::exchange(mask, emu::bits(v), "__shfl_up_sync");
    const unsigned l = emu::lane(), base = l & ~(unsigned)(width - 1);
    if (l < base + delta) return v;
    if (!((mask >> (l - delta)) & 1u)) emu::fail("__shfl_up_sync from a lane outside the mask");
    return emu::from_bits<T>(all[l - delta]);
}
template <typename T>
inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    const uint64_t* all = emu::exchange(mask, emu::bits(v), "__shfl_down_sync");
    const unsigned l = emu::lane(), base = l & ~(unsigned)(width - 1);
    if (l + delta >= base + (unsigned)width) return v;
    if (!((mask >> (l + delta)) & 1u)) emu::fail("__shfl_down_sync from a lane outside the mask");
    return emu::from_bits<T>(all[l + delta]);
}
inline unsigned __ballot_sync(unsigned mask, int pred) {
    const uint64_t* all = emu::exchange(mask, pred != 0, "__ballot_sync");
    unsigned r = 0;
    for (unsigned i = 0; i < 32; i++)
        if (((mask >> i) & 1u) && all[i]) r |= 1u << i;
    return r;
}
inline int __any_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) != 0; }
inline int __all_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) == mask; }
template <typename T>
inline unsigned __match_any_sync(unsigned mask, T v) {
    const uint64_t* all = emu::exchange(mask, emu::bits(v), "__match_any_sync");
    const uint64_t mine = emu::bits(v);
    unsigned r = 0;
    for (unsigned i = 0; i < 32; i++)
        if (((mask >> i) & 1u) && all[i] == mine) r |= 1u << i;
    return r;
}
inline unsigned __reduce_add_sync(unsigned mask, unsigned v) {
    const uint64_t* all = emu::exchange(mask, v, "__reduce_add_sync");
    unsigned r = 0;
    for (unsigned i = 0; i < 32; i++)
        if ((mask >> i) & 1u) r += (unsigned)all[i];
    return r;
}

inline int atomicAdd(int* p, int v) { const int o = *p; *p = o + v; return o; }
inline unsigned atomicAdd(unsigned* p, unsigned v) { const unsigned o = *p; *p = o + v; return o; }
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) { const unsigned long long o = *p; *p = o + v; return o; }
inline float atomicAdd(float* p, float v) { const float o = *p; *p = o + v; return o; }
inline int atomicMax(int* p, int v) { const int o = *p; *p = std::max(o, v); return o; }
inline unsigned atomicMax(unsigned* p, unsigned v) { const unsigned o = *p; *p = std::max(o, v); return o; }
inline int atomicCAS(int* p, int cmp, int v) { const int o = *p; if (o == cmp) *p = v; return o; }
inline int atomicExch(int* p, int v) { const int o = *p; *p = v; return o; }

inline int __popc(unsigned v) { return __builtin_popcount(v); }
inline int __popcll(unsigned long long v) { return __builtin_popcountll(v); }
inline int __ffs(int v) { return __builtin_ffs(v); }
inline int __clz(int v) { return v == 0 ? 32 : __builtin_clz((unsigned)v); }
inline float __int_as_float(int v) { return emu::from_bits<float>((uint32_t)v); }
inline int __float_as_int(float v) { return (int)(uint32_t)emu::bits(v); }
inline unsigned __float_as_uint(float v) { return (uint32_t)emu::bits(v); }
inline float __uint_as_float(unsigned v) { return emu::from_bits<float>(v); }

// CUDA's min / max overloads for one argument type
#define EMU_MIN_MAX(T)                                     \
    inline T min(T a, T b) { return a < b ? a : b; }       \
    inline T max(T a, T b) { return a > b ? a : b; }
EMU_MIN_MAX(int)
EMU_MIN_MAX(unsigned)
EMU_MIN_MAX(long)
EMU_MIN_MAX(unsigned long)
EMU_MIN_MAX(long long)
EMU_MIN_MAX(unsigned long long)
EMU_MIN_MAX(float)
EMU_MIN_MAX(double)
#undef EMU_MIN_MAX
using std::isfinite;

namespace emu {
inline void* dynamic_smem() { return state().dynamicSmem.data(); }
inline unsigned dynamic_smem_bytes() { return (unsigned)(state().dynamicSmem.size() * sizeof(float4)); }
}  // namespace emu

// ---- tensor cores: mma.sync m16n8k16 and ldmatrix .x4 as warp collectives ----
inline size_t __cvta_generic_to_shared(const void* p) {
    const char* base = static_cast<const char*>(emu::dynamic_smem());
    const char* c = static_cast<const char*>(p);
    if (c < base || c >= base + emu::dynamic_smem_bytes()) emu::fail("__cvta_generic_to_shared of an address outside the dynamic shared memory");
    return (size_t)(c - base);
}

namespace emu {

// Every lane of `mask` passes N 64-bit values; all[l][i] receives lane l's i-th (lanes in mask).
template <int N>
inline void exchange_n(unsigned mask, const uint64_t (&v)[N], uint64_t (&all)[32][N], const char* what) {
    for (int i = 0; i < N; i++) {
        const uint64_t* o = exchange(mask, v[i], what);  // read before the next exchange can complete
        for (int l = 0; l < 32; l++) all[l][i] = o[l];
    }
}

// 16 bits of a BF16 or F16 value as float.
template <typename T>
inline float half_bits_to_float(uint16_t b);
template <>
inline float half_bits_to_float<__nv_bfloat16>(uint16_t b) { return from_bits<float>((uint32_t)b << 16); }
template <>
inline float half_bits_to_float<__half>(uint16_t b) {
    __half_raw r;
    r.x = b;
    return __half2float(__half(r));
}

// The 16-bit element of lane `src`'s register word `word` (0-3: A's a0-a3 as two 64-bit values; 4-5: b0, b1), half `hi`.
inline uint16_t fragment_half(const uint64_t (&all)[32][3], int src, int word, int hi) {
    const uint32_t w = (uint32_t)(all[src][word / 2] >> (32 * (word % 2)));
    return (uint16_t)(hi ? w >> 16 : w & 0xffffu);
}

// d += A[16][16]·B[16][8] over the warp (mma.sync.aligned.m16n8k16.row.col.f32.{bf16,f16}): lane
// l = 4g + t holds A[g][2t..2t+1] (a0), A[g+8][2t..] (a1), A[g][2t+8..] (a2), A[g+8][2t+8..] (a3),
// B[2t..2t+1][g] (b0), B[2t+8..2t+9][g] (b1), and D[g][2t], D[g][2t+1], D[g+8][2t], D[g+8][2t+1].
template <typename T>
inline void mma_m16n8k16(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    const uint64_t mine[3] = {a[0] | (uint64_t)a[1] << 32, a[2] | (uint64_t)a[3] << 32, b0 | (uint64_t)b1 << 32};
    uint64_t all[32][3];
    exchange_n(0xffffffffu, mine, all, "mma.sync.m16n8k16");
    const int l = (int)lane(), g = l >> 2, t = l & 3;
    // A[r][k]: lane 4(r % 8) + (k % 8) / 2, word a0 + (r >= 8) + 2 (k >= 8), half k % 2; B[k][n]: lane 4n + (k % 8) / 2, word b0 + (k >= 8)
    const auto A = [&](int r, int k) { return half_bits_to_float<T>(fragment_half(all, 4 * (r % 8) + (k % 8) / 2, (r >= 8) + 2 * (k >= 8), k % 2)); };
    const auto B = [&](int k, int n) { return half_bits_to_float<T>(fragment_half(all, 4 * n + (k % 8) / 2, 4 + (k >= 8), k % 2)); };
    for (int e = 0; e < 4; e++) {
        const int r = g + 8 * (e >> 1), n = 2 * t + (e & 1);
        double sum = 0;
        for (int k = 0; k < 16; k++) sum += (double)A(r, k) * B(k, n);
        d[e] = (float)(d[e] + sum);
    }
}

// ldmatrix.sync.aligned.m8n8.x4(.trans).shared.b16: lanes 8i..8i+7 give the (shared-space) row
// addresses of 8x8 matrix i; lane l = 4g + t receives in r[i] matrix i's (row g, columns 2t, 2t+1),
// or with trans (rows 2t, 2t+1, column g), the lower column or row in the low half.
inline void ldmatrix_x4(unsigned (&r)[4], unsigned address, bool trans) {
    const char* what = trans ? "ldmatrix.x4.trans" : "ldmatrix.x4";
    const uint64_t* o = exchange(0xffffffffu, address, what);
    unsigned rows[32];
    for (int i = 0; i < 32; i++) {
        rows[i] = (unsigned)o[i];
        if (rows[i] % 16 != 0 || (size_t)rows[i] + 16 > dynamic_smem_bytes()) {
            failf("%s row address %u of lane %d is not a 16-byte aligned row inside the %u bytes of dynamic shared memory", what, rows[i], i,
                  dynamic_smem_bytes());
        }
    }
    const char* base = static_cast<const char*>(dynamic_smem());
    const auto element = [&](int row, int col) {  // 16-bit element col of the row whose address lane `row` gave
        uint16_t v;
        std::memcpy(&v, base + rows[row] + 2 * col, 2);
        return (uint32_t)v;
    };
    const int l = (int)lane(), g = l >> 2, t = l & 3;
    for (int i = 0; i < 4; i++)
        r[i] = trans ? element(8 * i + 2 * t, g) | element(8 * i + 2 * t + 1, g) << 16
                     : element(8 * i + g, 2 * t) | element(8 * i + g, 2 * t + 1) << 16;
}

}  // namespace emu
