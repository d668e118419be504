// On a machine without an NVIDIA driver the CUDA backend reports "unavailable: <reason>" and
// opening it fails with that reason — never a crash. With a GPU it lists the device.
package dev.strata.cuda;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.backend.Availability;
import dev.strata.engine.backend.BackendException;
import dev.strata.engine.backend.BackendOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CudaAvailabilityTest {
    @Test
    void reportsAReasonOrADevice() {
        CudaBackend b = new CudaBackend();
        Availability a = b.availability();
        if (a.available()) {
            assertFalse(b.devices().isEmpty(), "available but no devices");
        } else {
            assertFalse(a.reason().isBlank());
            assertTrue(b.devices().isEmpty());
            BackendException e = assertThrows(BackendException.class, () -> b.open(BackendOptions.defaults()));
            assertTrue(e.getMessage().contains(a.reason()), e.getMessage());
        }
    }

    @Test
    void kernelsAreInTheBuildWhenNvccExists() {
        boolean nvcc = Files.isExecutable(Path.of("/usr/local/cuda/bin/nvcc"))
                || System.getenv().getOrDefault("PATH", "").contains("cuda");
        if (nvcc) assertTrue(CudaKernels.missingReason() == null, "nvcc is installed but " + CudaKernels.missingReason());
        else assertTrue(CudaKernels.missingReason().contains("not built"));
    }

    @Test
    void aMissingDriverIsExplainedInOneLine() {
        String jcuda = "Error while loading native library \"JCudaDriver-12.0.0-linux-x86_64\"\nStack trace ...\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver.so: libcuda.so.1: cannot open shared object file";
        assertTrue(CudaBackend.linkFailure(jcuda).startsWith("libcuda.so.1 (the NVIDIA driver) could not be loaded"));
        String other = CudaBackend.linkFailure("no JCudaDriver in java.library.path\nmore lines");
        assertFalse(other.contains("\n"), other);
        assertTrue(other.endsWith("no JCudaDriver in java.library.path"), other);
        Availability a = new CudaBackend().availability();
        if (!a.available()) assertFalse(a.reason().contains("\n"), "reason must be one line: " + a.reason());
    }

    @Test
    void stickyErrorsPoisonTheDevice() {
        CudaCheck check = new CudaCheck(0);
        CudaException e = assertThrows(CudaException.class, () -> check.check(700, "cuLaunchKernel", "rms_norm_f32"));
        assertTrue(e.getMessage().contains("CUDA error 700") && e.getMessage().contains("cuLaunchKernel [rms_norm_f32] on device 0"), e.getMessage());
        CudaException later = assertThrows(CudaException.class, check::usable);
        assertTrue(later.getMessage().contains("unusable"), later.getMessage());
        CudaCheck other = new CudaCheck(1);
        assertThrows(CudaException.class, () -> other.check(2, "cuMemAlloc"));
        other.usable();
    }
}
