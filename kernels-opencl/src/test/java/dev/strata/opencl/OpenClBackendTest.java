// The OpenCL backend on this machine (PoCL in CI): lists devices or says why not, opens the
// default device (building every .cl program for it), and rejects an unknown device by name.
package dev.strata.opencl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strata.engine.backend.Availability;
import dev.strata.engine.backend.BackendException;
import dev.strata.engine.backend.BackendOptions;
import dev.strata.engine.backend.ComputeDevice;
import org.junit.jupiter.api.Test;

class OpenClBackendTest {
    @Test
    void availableWithDevicesOrExplained() {
        OpenClBackend b = new OpenClBackend();
        Availability a = b.availability();
        if (a.available()) assertFalse(b.devices().isEmpty());
        else {
            assertFalse(a.reason().isBlank());
            assertThrows(BackendException.class, () -> b.open(BackendOptions.defaults()));
        }
    }

    @Test
    void autoPrefersItToTheCpuOnlyWithAGpu() {
        OpenClBackend b = new OpenClBackend();
        boolean gpu = b.devices().stream().anyMatch(d -> d.details().contains(", GPU,"));
        assertTrue(gpu ? b.priority() > 0 : b.priority() < 0, "priority " + b.priority() + " with GPU " + gpu);
    }

    @Test
    void opensTheDefaultDeviceAndBuildsEveryProgram() {
        OpenClBackend b = new OpenClBackend();
        assumeTrue(b.availability().available(), "no OpenCL here: " + b.availability());
        try (ComputeDevice d = b.open(BackendOptions.defaults())) {
            assertTrue(d.description().contains("opencl:"), d.description());
        }
        BackendException e = assertThrows(BackendException.class, () -> b.open(new BackendOptions("no-such-device", false, 0)));
        assertTrue(e.getMessage().contains("no-such-device"), e.getMessage());
    }
}
