// cuLaunchKernelEx through Panama FFM: the driver call JCuda 12.0 lacks, for kernel launches with
// attributes. Strata uses one: programmatic stream serialization (programmatic dependent launch,
// sm_90+), which lets a kernel start while the previous kernel in the stream is still running; the
// kernel itself waits for its predecessor (griddepcontrol.wait, strata_cuda.cuh) before touching
// memory. Inside CUDA graph capture the launch becomes a programmatic edge.
// Struct layouts are cuda.h's (CUDA 12.x and 13.0, x86-64), checked by CudaLaunchExTest:
//   CUlaunchConfig    56 bytes: gridDimX/Y/Z, blockDimX/Y/Z, sharedMemBytes (u32 at 0..24),
//                     hStream at 32, attrs at 40, numAttrs (u32) at 48;
//   CUlaunchAttribute 72 bytes: id (u32) at 0, value (a 64-byte union) at 8.
// Kernel arguments (device pointers, ints, floats) are written to one native block, one 8-byte slot
// each, and passed as the void** kernelParams array that points at the slots.
package dev.strata.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;

public final class CudaLaunchEx {
    /** CUlaunchAttributeID CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION. */
    public static final int PROGRAMMATIC_STREAM_SERIALIZATION = 6;
    static final long CONFIG_BYTES = 56, ATTRIBUTE_BYTES = 72;
    static final long STREAM_AT = 32, ATTRS_AT = 40, NUM_ATTRS_AT = 48, ATTRIBUTE_VALUE_AT = 8;

    private final MethodHandle launchKernelEx;

    private CudaLaunchEx(SymbolLookup lib) {
        MemorySegment f = lib.find("cuLaunchKernelEx").orElseThrow(() -> new UnsatisfiedLinkError("CUDA driver symbol cuLaunchKernelEx not found"));
        launchKernelEx = Linker.nativeLinker().downcallHandle(f,
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    }

    /** Binds cuLaunchKernelEx from the driver (libcuda.so.1), which must already be initialised. */
    public static CudaLaunchEx open() { return new CudaLaunchEx(NativeLibraries.open(Arena.global(), "libcuda.so.1", "libcuda.so")); }

    /**
     * Launches `function` (a CUfunction handle) on `stream` (a CUstream handle) with a 1-D block,
     * programmatic stream serialization when `programmatic`, and `args` (Long device addresses,
     * Integer or Float values) as its parameters. Returns the CUresult.
     */
    public int launch(long function, int gridX, int gridY, int gridZ, int block, int sharedBytes, long stream, boolean programmatic, List<?> args) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment config = config(arena, gridX, gridY, gridZ, block, sharedBytes, stream, programmatic);
            return (int) launchKernelEx.invokeExact(config, function, kernelParams(arena, args), MemorySegment.NULL);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cuLaunchKernelEx: " + t, t);
        }
    }

    /** A CUlaunchConfig (with its one attribute when programmatic) in arena. */
    static MemorySegment config(Arena arena, int gridX, int gridY, int gridZ, int block, int sharedBytes, long stream, boolean programmatic) {
        MemorySegment c = arena.allocate(CONFIG_BYTES, 8);
        int[] dims = {gridX, gridY, gridZ, block, 1, 1, sharedBytes};
        for (int i = 0; i < dims.length; i++) c.set(ValueLayout.JAVA_INT, 4L * i, dims[i]);
        c.set(ValueLayout.JAVA_LONG, STREAM_AT, stream);
        if (programmatic) {
            MemorySegment attr = arena.allocate(ATTRIBUTE_BYTES, 8);
            attr.set(ValueLayout.JAVA_INT, 0, PROGRAMMATIC_STREAM_SERIALIZATION);
            attr.set(ValueLayout.JAVA_INT, ATTRIBUTE_VALUE_AT, 1);
            c.set(ValueLayout.ADDRESS, ATTRS_AT, attr);
            c.set(ValueLayout.JAVA_INT, NUM_ATTRS_AT, 1);
        }
        return c;
    }

    /** The void** kernelParams array for args, each value in its own 8-byte slot. */
    static MemorySegment kernelParams(Arena arena, List<?> args) {
        MemorySegment slots = arena.allocate(8L * Math.max(1, args.size()), 8), params = arena.allocate(8L * Math.max(1, args.size()), 8);
        for (int i = 0; i < args.size(); i++) {
            long at = 8L * i;
            switch (args.get(i)) {
                case Long address -> slots.set(ValueLayout.JAVA_LONG, at, address);
                case Integer v -> slots.set(ValueLayout.JAVA_INT, at, v);
                case Float v -> slots.set(ValueLayout.JAVA_FLOAT, at, v);
                default -> throw new IllegalArgumentException("kernel argument " + i + " is " + args.get(i) + "; expected Long (address), Integer or Float");
            }
            params.set(ValueLayout.ADDRESS, at, slots.asSlice(at));
        }
        return params;
    }
}
