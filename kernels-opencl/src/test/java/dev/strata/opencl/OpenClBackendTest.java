// The OpenCL backend on this machine (PoCL in CI): lists devices or says why not, opens the
// default device (building every .cl program for it), rejects an unknown device by name, reports
// a kernel that does not compile with the driver's build log, times work with profiling events,
// keeps F16/BF16 weights 16-bit on the device (buffer size and bytes read back), and checks the
// attention and matmul kernels' local memory against the device's.
package dev.strata.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strata.engine.backend.Availability;
import dev.strata.engine.backend.BackendException;
import dev.strata.engine.backend.BackendOptions;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.backend.DeviceBuffer;
import dev.strata.engine.backend.Support;
import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.graph.Node;
import dev.strata.engine.ops.AttentionSpec;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.engine.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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

    @Test
    void aKernelThatDoesNotCompileIsReportedWithTheBuildLog() {
        OpenClBackend b = new OpenClBackend();
        assumeTrue(b.availability().available(), "no OpenCL here: " + b.availability());
        try (OpenClDevice d = (OpenClDevice) b.open(BackendOptions.defaults())) {
            BackendException e = assertThrows(BackendException.class,
                    () -> d.build("broken", "__kernel void broken(__global float* x) { x[0] = no_such_symbol; }"));
            assertTrue(e.getMessage().contains("broken.cl did not compile on " + d.description().substring(0, d.description().indexOf(" (opencl:"))),
                    e.getMessage());
            assertTrue(e.getMessage().contains("no_such_symbol"), "the build log names the error: " + e.getMessage());
        }
    }

    @Test
    void deviceTimeComesFromProfilingEventsAndFitsInTheWallClock() {
        OpenClBackend b = new OpenClBackend();
        assumeTrue(b.availability().available(), "no OpenCL here: " + b.availability());
        try (ComputeDevice d = b.open(BackendOptions.defaults()); Arena arena = Arena.ofConfined()) {
            long bytes = 64L << 20;
            DeviceBuffer buf = d.allocate(bytes, "timing test");
            MemorySegment host = arena.allocate(bytes, 64);
            long wall0 = System.nanoTime();
            long device = d.timeNanos(() -> {
                d.write(buf, 0, host);
                d.write(buf, 0, host);
            });
            long wall = System.nanoTime() - wall0;
            assertTrue(device > 0, "device time " + device + " ns");
            assertTrue(device <= wall, "device time " + device + " ns exceeds the wall clock around it, " + wall + " ns");
            buf.close();
        }
    }

    @Test
    void sixteenBitWeightsAreStoredAsTheyAreOnTheDevice() {
        OpenClBackend b = new OpenClBackend();
        assumeTrue(b.availability().available(), "no OpenCL here: " + b.availability());
        try (ComputeDevice d = b.open(BackendOptions.defaults()); Arena arena = Arena.ofConfined()) {
            int elements = 1001;
            for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                MemorySegment host = arena.allocate(dtype.bytesFor(elements), 64);
                for (long i = 0; i < host.byteSize(); i++) host.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 37 + 11));
                try (DeviceBuffer w = d.uploadWeight("w." + dtype, dtype, host)) {
                    assertEquals(dtype.bytesFor(elements), w.byteSize(), dtype + " weight bytes on the device");
                    MemorySegment back = arena.allocate(host.byteSize(), 64);
                    d.read(w, 0, back);
                    assertEquals(-1, back.mismatch(host), dtype + " weight bytes read back differ from the checkpoint's");
                }
            }
            MemorySegment ints = arena.allocate(16, 64);
            BackendException e = assertThrows(BackendException.class, () -> d.uploadWeight("w.i32", DType.I32, ints));
            assertTrue(e.getMessage().contains("w.i32") && e.getMessage().contains("I32"), e.getMessage());
        }
    }

    @Test
    void kernelLocalMemoryIsCheckedAgainstTheDevice() {
        Support tooBig = OpenClDevice.localMemory("attention", 40000, 32768, "Some GPU");
        assertFalse(tooBig.supported());
        assertTrue(tooBig.reasons().getFirst().contains("attention needs 40000 bytes of local memory; Some GPU has 32768"), tooBig.reasons().toString());
        assertTrue(OpenClDevice.localMemory("attention", 32768, 32768, "Some GPU").supported());

        OpenClBackend b = new OpenClBackend();
        assumeTrue(b.availability().available(), "no OpenCL here: " + b.availability());
        GraphBuilder g = new GraphBuilder(name -> null);
        AttentionSpec spec = new AttentionSpec(1, 3, 8, 2, 256, 0.0625f, true, -1);
        g.attention(g.input("q", DType.F32, 3, 8 * 256), g.input("k", DType.F32, 3, 2 * 256), g.input("v", DType.F32, 3, 2 * 256),
                g.input("past", DType.I32, 1, 1), g.input("slots", DType.I32, 1, 1), null, spec, "o");
        g.matmul(g.input("x", DType.F32, 3, 4), g.input("w", DType.F32, 5, 4), null, WeightLayout.OUT_IN, "y");
        try (ComputeDevice d = b.open(BackendOptions.defaults())) {
            for (Node n : g.build().nodes()) assertTrue(d.supports(n.op()).supported(), n.op().kind() + ": " + d.supports(n.op()).reasons());
        }
    }
}
