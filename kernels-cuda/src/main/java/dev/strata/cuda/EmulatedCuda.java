// The host emulation library (libstrata_cuda_emu.so, built by build-emulation.sh from the same .cu
// files nvcc compiles) through Panama FFM: launches a kernel by name with cuLaunchKernel-style
// arguments, each CUDA thread a fiber on the calling thread (src/emu/host_emu.h). One emulation
// state per process, so launches are serialised here. The library ships as a resource and is
// written to a temporary file once to be loaded.
package dev.strata.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

final class EmulatedCuda {
    private static final String DIR = "/dev/strata/cuda/emu/";
    private static final String LIBRARY = DIR + "libstrata_cuda_emu.so";
    private static final int ERROR_BYTES = 2048;
    static final int NOT_FOUND = 500, LAUNCH_FAILED = 719;

    private static EmulatedCuda instance;

    private final MethodHandle launch, kernelCount, kernelName;

    private EmulatedCuda(Path library) {
        Linker linker = Linker.nativeLinker();
        SymbolLookup lookup = SymbolLookup.libraryLookup(library, Arena.global());
        launch = linker.downcallHandle(lookup.findOrThrow("strata_emu_launch"), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        kernelCount = linker.downcallHandle(lookup.findOrThrow("strata_emu_kernel_count"), FunctionDescriptor.of(ValueLayout.JAVA_INT));
        kernelName = linker.downcallHandle(lookup.findOrThrow("strata_emu_kernel_name"),
                FunctionDescriptor.of(ValueLayout.ADDRESS.withTargetLayout(ValueLayout.JAVA_BYTE), ValueLayout.JAVA_INT));
    }

    /** Why the library cannot be used here (the build's NOT_BUILT reason, or the platform), or null. */
    static String missingReason() {
        if (!System.getProperty("os.name", "").startsWith("Linux") || !System.getProperty("os.arch", "").equals("amd64")) {
            return "the CUDA host emulation runs on Linux x86-64 only";
        }
        if (EmulatedCuda.class.getResource(LIBRARY) != null) return null;
        try (InputStream in = EmulatedCuda.class.getResourceAsStream(DIR + "NOT_BUILT")) {
            String why = in == null ? "no build output" : new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            return "the CUDA host emulation library was not built (" + why + ")";
        } catch (IOException e) {
            return "the CUDA host emulation library was not built (" + e.getMessage() + ")";
        }
    }

    /** The loaded library; throws IllegalStateException with the reason where it is missing. */
    static synchronized EmulatedCuda get() {
        if (instance == null) {
            String missing = missingReason();
            if (missing != null) throw new IllegalStateException(missing);
            try (InputStream in = EmulatedCuda.class.getResourceAsStream(LIBRARY)) {
                Path file = Files.createTempFile("strata_cuda_emu", ".so");
                file.toFile().deleteOnExit();
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                instance = new EmulatedCuda(file);
            } catch (IOException e) {
                throw new IllegalStateException("the CUDA host emulation library could not be written to a temporary file: " + e.getMessage(), e);
            }
        }
        return instance;
    }

    /** The kernels the library holds. */
    List<String> kernels() {
        try {
            int n = (int) kernelCount.invokeExact();
            List<String> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) out.add(((MemorySegment) kernelName.invokeExact(i)).reinterpret(256).getString(0));
            return out;
        } catch (Throwable t) {
            throw new IllegalStateException("strata_emu_kernel_name", t);
        }
    }

    /**
     * Runs `k` to its end. Throws CudaException naming the kernel for an unknown kernel, a wrong
     * argument count or a run the emulation stopped (__trap, a deadlocked barrier, a misaligned
     * vector load).
     */
    void launch(Launch.Kernel k) {
        int status;
        String error;
        synchronized (EmulatedCuda.class) {
            try (Arena arena = Arena.ofConfined()) {
                List<Object> args = k.args();
                MemorySegment pointers = arena.allocate(ValueLayout.ADDRESS, Math.max(1, args.size()));
                for (int i = 0; i < args.size(); i++) {
                    MemorySegment value = switch (args.get(i)) {
                        case Launch.Ptr p -> arena.allocateFrom(ValueLayout.JAVA_LONG, p.address());
                        case Integer v -> arena.allocateFrom(ValueLayout.JAVA_INT, v);
                        case Float v -> arena.allocateFrom(ValueLayout.JAVA_FLOAT, v);
                        default -> throw new IllegalArgumentException(k.function() + ": bad argument " + args.get(i));
                    };
                    pointers.setAtIndex(ValueLayout.ADDRESS, i, value);
                }
                MemorySegment message = arena.allocate(ERROR_BYTES);
                try {
                    status = (int) launch.invokeExact(arena.allocateFrom(k.function()), k.gridX(), k.gridY(), k.gridZ(), k.block(), k.sharedBytes(),
                            pointers, args.size(), message, ERROR_BYTES);
                } catch (Throwable t) {
                    throw new IllegalStateException("strata_emu_launch", t);
                }
                error = status == 0 ? null : message.getString(0);
            }
        }
        // as the driver would say: CUDA_ERROR_NOT_FOUND for a kernel that is not there, CUDA_ERROR_LAUNCH_FAILED (sticky) for a stopped run
        if (status != 0) throw new CudaException(status == 1 ? NOT_FOUND : LAUNCH_FAILED, "host emulation of " + k.module() + ".cu: " + error);
    }
}
