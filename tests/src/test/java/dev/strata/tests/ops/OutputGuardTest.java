// Tests of the conformance harness's output guard itself: a device that runs softmax correctly
// but also writes one float past its output, or into its input, must fail the guarded run, and
// the unmodified device must pass. Without this, a guard that checks nothing would go unnoticed.
package dev.strata.tests.ops;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.backend.BackendOptions;
import dev.strata.engine.backend.Backends;
import dev.strata.engine.backend.Bindings;
import dev.strata.engine.backend.BufferView;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.backend.DeviceBuffer;
import dev.strata.engine.backend.Support;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.kv.KvStorage;
import dev.strata.engine.ops.Op;
import dev.strata.engine.ops.Softmax;
import dev.strata.engine.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

class OutputGuardTest {
    enum Fault { NONE, PAST_OUTPUT, INTO_INPUT }

    /** The CPU device, plus one stray float written by every softmax launch. */
    record FaultyDevice(ComputeDevice d, Fault fault) implements ComputeDevice {
        public String description() { return d.description() + " with fault " + fault; }
        public Support supports(Op op) { return d.supports(op); }
        public DeviceBuffer allocate(long bytes, String purpose) { return d.allocate(bytes, purpose); }
        public DeviceBuffer uploadWeight(String name, DType dtype, MemorySegment host) { return d.uploadWeight(name, dtype, host); }
        public void write(DeviceBuffer dst, long dstByteOffset, MemorySegment src) { d.write(dst, dstByteOffset, src); }
        public void read(DeviceBuffer src, long srcByteOffset, MemorySegment dst) { d.read(src, srcByteOffset, dst); }
        public void synchronize() { d.synchronize(); }
        public KvStorage allocateKv(KvSpec spec) { return d.allocateKv(spec); }
        public void close() { d.close(); }

        public void launch(Op op, Bindings b) {
            d.launch(op, b);
            if (!(op instanceof Softmax s) || fault == Fault.NONE) return;
            BufferView target = fault == Fault.PAST_OUTPUT ? b.out() : b.view(s.x());
            long at = fault == Fault.PAST_OUTPUT ? target.byteOffset() + 4L * target.rows() * target.rowStride() : target.byteOffset() + 4;
            try (Arena a = Arena.ofConfined()) {
                d.write(target.buffer(), at, a.allocateFrom(ValueLayout.JAVA_FLOAT, 42f));
                d.synchronize();
            }
        }
    }

    /** [3, 64] floats = 768 bytes, a multiple of the plan's alignment: the guard starts at the output's last byte + 1. */
    private static void runSoftmax(Fault fault) {
        int rows = 3, cols = 64;
        float[] x = OpHarness.uniform(new SplittableRandom(61), rows * cols, -4, 4);
        try (OpHarness h = new OpHarness()) {
            var g = h.guarded(rows, cols, DType.F32, b -> b.softmax(b.input("x", DType.F32, rows, cols), "softmax"));
            ComputeDevice cpu = Backends.select("cpu").open(new BackendOptions(null, false, 1));
            try (var s = h.open(new FaultyDevice(cpu, fault))) {
                s.run(g, Map.of("x", h.f32(rows, cols, x)), null);
            }
        }
    }

    @Test
    void cleanDevicePasses() {
        runSoftmax(Fault.NONE);
    }

    @Test
    void writePastTheOutputFails() {
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> runSoftmax(Fault.PAST_OUTPUT));
        assertTrue(e.getMessage().contains("guard element 0 (0 bytes past the output's end)"), e.getMessage());
    }

    @Test
    void writeIntoAnInputFails() {
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> runSoftmax(Fault.INTO_INPUT));
        assertTrue(e.getMessage().contains("input 'x' changed at byte 4"), e.getMessage());
    }
}
