// GraphExecutor.close() against ComputeDevice.write's contract (the source stays valid until a
// later wait), which an OpenCL queue's non-blocking writes rely on: an executor closed right after
// enqueueing a run (no read, no await, no synchronize) must wait before it frees the host staging
// its input transfer reads, and must still release everything when that wait fails.
package dev.strata.engine.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.strata.engine.backend.Bindings;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.backend.DeviceBuffer;
import dev.strata.engine.backend.Support;
import dev.strata.engine.cpu.CpuBuffer;
import dev.strata.engine.cpu.CpuDevice;
import dev.strata.engine.graph.Graph;
import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.kv.KvStorage;
import dev.strata.engine.ops.Op;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExecutorCloseTest {
    @Test
    void closeWaitsForTheQueuedInputTransfer() {
        try (WaitCheckingDevice dev = new WaitCheckingDevice(); Arena arena = Arena.ofConfined();
             DeviceWeights w = new DeviceWeights(dev, name -> null)) {
            GraphExecutor ex = new GraphExecutor(doubleGraph(), w);
            HostTensor x = HostTensor.allocate(arena, DType.F32, 1, 4);
            ex.run(Map.of("x", x), null);
            assertEquals(1, dev.unwaited.size(), "the run's input transfer awaits a wait");
            ex.close();
            assertEquals(List.of(), dev.unwaited, "close() waited before freeing the host staging");
            assertEquals(List.of(), dev.freedBeforeWait);
        }
    }

    @Test
    void closeStillReleasesWhenTheDeviceWaitFails() {
        try (WaitCheckingDevice dev = new WaitCheckingDevice(); Arena arena = Arena.ofConfined();
             DeviceWeights w = new DeviceWeights(dev, name -> null)) {
            GraphExecutor ex = new GraphExecutor(doubleGraph(), w);
            ex.run(Map.of("x", HostTensor.allocate(arena, DType.F32, 1, 4)), null);
            dev.failWaits = true;
            ex.close();
            assertEquals(1, dev.failedWaits, "close() waited once, and the failure did not escape");
            assertFalse(dev.buffers.isEmpty());
            for (CpuBuffer b : dev.buffers) assertFalse(b.segment().scope().isAlive(), "close() released every device buffer after the failed wait");
        }
    }

    @Test
    void aRunReadBackBeforeCloseIsUnchanged() {
        try (WaitCheckingDevice dev = new WaitCheckingDevice(); Arena arena = Arena.ofConfined();
             DeviceWeights w = new DeviceWeights(dev, name -> null); GraphExecutor ex = new GraphExecutor(doubleGraph(), w)) {
            HostTensor x = HostTensor.allocate(arena, DType.F32, 1, 4);
            for (int i = 0; i < 4; i++) x.data().setAtIndex(HostTensor.F32, i, i - 1.5f);
            ex.run(Map.of("x", x), null);
            assertArrayEquals(new float[] {-3f, -1f, 1f, 3f}, ex.read("y", arena).data().toArray(ValueLayout.JAVA_FLOAT));
            assertEquals(List.of(), dev.freedBeforeWait);
        }
    }

    /** y[1, 4] = x + x. */
    private static Graph doubleGraph() {
        GraphBuilder b = new GraphBuilder(name -> null);
        Tensor x = b.input("x", DType.F32, 1, 4);
        b.output("y", b.add(x, x, "y"));
        return b.build();
    }

    /**
     * The CPU reference device holding ComputeDevice.write's contract to the letter: a write's
     * source must stay alive until a later wait (synchronize or read) returns. Each wait records the
     * writes since the last one whose source was already freed. With failWaits, waits throw, as on a
     * CUDA context a sticky error poisoned. Keeps the buffers it allocates, to see them released.
     */
    static final class WaitCheckingDevice implements ComputeDevice {
        record Write(long bytes, MemorySegment src) {}

        final CpuDevice cpu = new CpuDevice(true, 1);
        final List<Write> unwaited = new ArrayList<>();
        final List<Write> freedBeforeWait = new ArrayList<>();
        final List<CpuBuffer> buffers = new ArrayList<>();
        boolean failWaits;
        int failedWaits;

        public String description() { return "wait-checking " + cpu.description(); }
        public Support supports(Op op) { return cpu.supports(op); }

        public DeviceBuffer allocate(long bytes, String purpose) {
            CpuBuffer b = (CpuBuffer) cpu.allocate(bytes, purpose);
            buffers.add(b);
            return b;
        }

        public DeviceBuffer uploadWeight(String name, DType dtype, MemorySegment host) { return cpu.uploadWeight(name, dtype, host); }

        public void write(DeviceBuffer dst, long off, MemorySegment src) {
            cpu.write(dst, off, src);
            unwaited.add(new Write(src.byteSize(), src));
        }

        public void read(DeviceBuffer src, long off, MemorySegment dst) {
            synchronize();
            cpu.read(src, off, dst);
        }

        public void launch(Op op, Bindings b) { cpu.launch(op, b); }

        public void synchronize() {
            if (failWaits) {
                failedWaits++;
                throw new IllegalStateException("device unusable after an earlier error");
            }
            for (Write q : unwaited) if (!q.src().scope().isAlive()) freedBeforeWait.add(q);
            unwaited.clear();
        }

        public KvStorage allocateKv(KvSpec spec) { return cpu.allocateKv(spec); }
        public void close() { cpu.close(); }
    }
}
