// The cuda-emu backend's own bookkeeping: its library holds every kernel the PTX build holds, bad
// launches are refused with the kernel named, a run the emulation stops makes the device unusable
// (as a sticky CUDA error would), and HostGemm follows cuBLAS's column-major convention. The
// numbers of whole ops and models on cuda-emu are checked by the tests module's conformance and
// fixture suites (strata.test.backends=cuda-emu).
package dev.strata.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strata.nativelib.Cublas;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class EmulatedCudaTest {
    private static EmulatedCuda library() {
        String missing = EmulatedCuda.missingReason();
        assumeTrue(missing == null, () -> "cuda-emu unavailable: " + missing);
        return EmulatedCuda.get();
    }

    /** kv_to16_bf16's 17 arguments, all pointers null, with this head dim (not a multiple of 4: __trap before any memory is read). */
    private static Launch.Kernel kvTo16(int headDim, int argumentCount) {
        Launch.Ptr none = new Launch.Ptr(0);
        List<Object> args = List.of(none, 0, none, 0, none, none, 0, 0, none, none, none, none, 1, 1, 1, 1, headDim);
        return new Launch.Kernel("attention_mma", "kv_to16_bf16", 1, 1, 1, 32, 0, args.subList(0, argumentCount));
    }

    @Test
    void theLibraryHoldsEveryKernelOfThePtxBuild() throws IOException {
        EmulatedCuda lib = library();
        Path ptx = PtxSignatures.ptxDir();
        assumeTrue(ptx != null, "no PTX build (nvcc absent)");
        Set<String> built = PtxSignatures.read(ptx).keySet().stream().map(k -> k.substring(k.indexOf('/') + 1)).collect(Collectors.toCollection(TreeSet::new));
        Set<String> emulated = new TreeSet<>(lib.kernels());
        assertEquals(built, emulated);
        assertTrue(emulated.size() > 60, "kernels: " + emulated.size());
    }

    @Test
    void anUnknownKernelOrAWrongArgumentCountIsRefusedByName() {
        EmulatedCuda lib = library();
        CudaException unknown = assertThrows(CudaException.class,
                () -> lib.launch(new Launch.Kernel("attention", "no_such_kernel", 1, 1, 1, 32, 0, List.of())));
        assertEquals(EmulatedCuda.NOT_FOUND, unknown.status());
        assertTrue(unknown.getMessage().contains("no kernel named no_such_kernel"), unknown.getMessage());
        CudaException count = assertThrows(CudaException.class, () -> lib.launch(kvTo16(3, 3)));
        assertTrue(count.getMessage().contains("kv_to16_bf16 takes 17 parameters, the launch passed 3"), count.getMessage());
    }

    @Test
    void aTrapStopsTheRunAndLeavesTheDeviceUnusable() {
        try (EmulatedCudaDevice device = new EmulatedCudaDevice(library(), 132, true)) {
            CudaException trap = assertThrows(CudaException.class, () -> device.run(kvTo16(3, 17)));
            assertEquals(EmulatedCuda.LAUNCH_FAILED, trap.status());
            assertTrue(trap.getMessage().contains("kv_to16_bf16: __trap in block 0,0 thread 0"), trap.getMessage());
            CudaException after = assertThrows(CudaException.class, device::synchronize);
            assertTrue(after.getMessage().contains("unusable after an earlier error"), after.getMessage());
        }
        // the emulation itself starts afresh: a later launch on a new device runs (head dim 4: no trap, no keys to round)
        try (EmulatedCudaDevice device = new EmulatedCudaDevice(library(), 132, true)) {
            Launch.Ptr none = new Launch.Ptr(0);
            device.run(new Launch.Kernel("attention_mma", "kv_to16_bf16", 1, 1, 1, 32, 0,
                    List.of(none, 0, none, 0, none, none, 0, 0, none, none, none, none, 0, 0, 0, 1, 4)));
        }
    }

    @Test
    void hostGemmIsCublasColumnMajorWithTransposedA() {
        // op(A) = Aᵀ where A is stored column-major 3×2 (lda 3): A = [[1, 2], [3, 4], [5, 6]] by rows
        // of op(A) = [[1, 3, 5], [2, 4, 6]]; B 3×2 column-major (ldb 3): [[1, 0], [0, 1], [1, 1]].
        try (EmulatedCudaDevice device = new EmulatedCudaDevice(library(), 132, true);
                EmulatedBuffer a = device.allocate(6 * 4, "a"); EmulatedBuffer b = device.allocate(6 * 4, "b"); EmulatedBuffer c = device.allocate(4 * 4, "c")) {
            float[] stored = {1, 3, 5, 2, 4, 6};  // column j of the 3×2 stored matrix = row j of op(A)
            MemorySegment.copy(stored, 0, a.segment(), ValueLayout.JAVA_FLOAT, 0, 6);
            MemorySegment.copy(new float[] {1, 0, 1, 0, 1, 1}, 0, b.segment(), ValueLayout.JAVA_FLOAT, 0, 6);
            device.run(new Launch.Gemm(Cublas.OP_T, Cublas.OP_N, 2, 2, 3, a.address(), Cublas.R_32F, 3, b.address(), 3, c.address(), 2));
            float[] out = new float[4];
            MemorySegment.copy(c.segment(), ValueLayout.JAVA_FLOAT, 0, out, 0, 4);
            // C = op(A)·B = [[1+5, 3+5], [2+6, 4+6]], column-major: 6, 8, 8, 10
            assertArrayEquals(new float[] {6, 8, 8, 10}, out);
        }
    }
}
