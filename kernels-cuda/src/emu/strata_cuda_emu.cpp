// The cuda-emu backend's native library: every kernel of src/main/cuda compiled for the host
// against host_emu.h (each CUDA thread a fiber; see there for what is and is not modelled), and a
// launch entry that takes cuLaunchKernel's arguments, so EmulatedCudaDevice runs the CUDA
// backend's own launch plans on the CPU. build-emulation.sh generates emu_units.inc: each .cu
// file inside a namespace of its own, and STRATA_EMU_KERNELS, the list of (namespace, kernel).
// Launches are not thread-safe (one emulation state per process): the caller serialises them.
#include "host_emu.h"
#include "strata_cuda.cuh"

#include <stdint.h>

#include <cstring>
#include <type_traits>
#include <utility>

#include "emu_units.inc"

namespace {

// Calls kernel f with its parameters read from args[i], each pointing at parameter i's value (as
// cuLaunchKernel's kernelParams); the parameter types come from f's own declaration.
template <typename... P, size_t... I>
void call_with(void (*f)(P...), void** args, std::index_sequence<I...>) {
    f(*static_cast<std::remove_cv_t<P>*>(args[I])...);
}

template <typename... P>
void call(void (*f)(P...), void** args) {
    call_with(f, args, std::index_sequence_for<P...>{});
}

template <typename... P>
constexpr int parameter_count(void (*)(P...)) {
    return (int)sizeof...(P);
}

struct Entry {
    const char* name;
    int parameters;
    void (*thunk)(void** args);
};

#define STRATA_EMU_ENTRY(NS, NAME) {#NAME, parameter_count(&NS::NAME), [](void** args) { call(&NS::NAME, args); }},
const Entry KERNELS[] = {STRATA_EMU_KERNELS(STRATA_EMU_ENTRY)};
#undef STRATA_EMU_ENTRY
constexpr int KERNEL_COUNT = (int)(sizeof KERNELS / sizeof KERNELS[0]);

const Entry* find(const char* name) {
    for (const Entry& e : KERNELS)
        if (std::strcmp(e.name, name) == 0) return &e;
    return nullptr;
}

void message(char* error, int errorBytes, const char* text) {
    if (error != nullptr && errorBytes > 0) std::snprintf(error, (size_t)errorBytes, "%s", text);
}

}  // namespace

extern "C" {

// Kernels in the library, and the name of kernel i (null past the end).
int strata_emu_kernel_count() { return KERNEL_COUNT; }
const char* strata_emu_kernel_name(int i) { return i >= 0 && i < KERNEL_COUNT ? KERNELS[i].name : nullptr; }

// Runs kernel `name` over grid (gx, gy, gz) of `block` threads with `sharedBytes` of dynamic shared
// memory; args[i] points at the value of parameter i (parameters: their count, checked). Returns 0
// when the grid ran to the end; 1 for an unknown kernel or a wrong parameter count; 2 when the
// emulation stopped the run (__trap, a barrier or warp intrinsic that can never complete, a
// misaligned vector load, ...), with the reason in error.
int strata_emu_launch(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned block, unsigned sharedBytes, void** args,
                      int parameters, char* error, int errorBytes) {
    const Entry* e = find(name);
    if (e == nullptr) {
        char text[256];
        std::snprintf(text, sizeof text, "no kernel named %s in the host emulation library", name);
        message(error, errorBytes, text);
        return 1;
    }
    if (parameters != e->parameters) {
        char text[256];
        std::snprintf(text, sizeof text, "%s takes %d parameters, the launch passed %d", name, e->parameters, parameters);
        message(error, errorBytes, text);
        return 1;
    }
    jmp_buf failed;
    emu::failure_jump = &failed;
    if (_setjmp(failed)) {
        emu::failure_jump = nullptr;
        emu::abandon_fibers();
        char text[1200];
        std::snprintf(text, sizeof text, "%s: %s", name, emu::failure_message);
        message(error, errorBytes, text);
        return 2;
    }
    void (*thunk)(void**) = e->thunk;
    emu::launch(dim3(gx, gy, gz), dim3(block), [thunk, args] { thunk(args); }, sharedBytes);
    emu::failure_jump = nullptr;
    return 0;
}

}  // extern "C"
