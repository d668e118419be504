// GraphExecutor's device-graph bookkeeping against a mock device whose capture() records the
// launches instead of running them and whose replay runs the recording (as a CUDA graph bakes in
// the launches and their pointers): the first run is eager, the second captures once and replays,
// later runs only replay (each after its inputs are written); a device that cannot capture is asked
// once and then runs eagerly; re-binding an external drops the recorded graph (it would read the
// old producer's memory); closing the executor closes its graphs; the profilers close the graphs
// they record.
package dev.strata.engine.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.backend.Bindings;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.backend.DeviceBuffer;
import dev.strata.engine.backend.Support;
import dev.strata.engine.cpu.CpuDevice;
import dev.strata.engine.graph.Graph;
import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.kv.KvStorage;
import dev.strata.engine.ops.Op;
import dev.strata.engine.runtime.OpProfiler;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GraphCaptureTest {
    /** A CPU device with mock graphs: capture() records launches; a replay runs them in order. */
    static final class RecordingDevice implements ComputeDevice {
        final CpuDevice cpu = new CpuDevice(true, 1);
        final boolean graphs;
        int captures, eagerLaunches, replayLaunches, openReplays;
        private List<Runnable> recording;

        RecordingDevice(boolean graphs) { this.graphs = graphs; }

        public String description() { return "recording " + cpu.description(); }
        public Support supports(Op op) { return cpu.supports(op); }
        public DeviceBuffer allocate(long bytes, String purpose) { return cpu.allocate(bytes, purpose); }
        public DeviceBuffer uploadWeight(String name, DType dtype, MemorySegment host) { return cpu.uploadWeight(name, dtype, host); }
        public void write(DeviceBuffer dst, long off, MemorySegment src) { cpu.write(dst, off, src); }
        public void read(DeviceBuffer src, long off, MemorySegment dst) { cpu.read(src, off, dst); }
        public void synchronize() { cpu.synchronize(); }
        public KvStorage allocateKv(KvSpec spec) { return cpu.allocateKv(spec); }
        public void close() { cpu.close(); }

        public void launch(Op op, Bindings b) {
            if (recording != null) {
                recording.add(() -> cpu.launch(op, b));
                return;
            }
            eagerLaunches++;
            cpu.launch(op, b);
        }

        public Replay capture(Runnable work) {
            captures++;
            if (!graphs) return null;
            List<Runnable> recorded = new ArrayList<>();
            recording = recorded;
            try {
                work.run();
            } finally {
                recording = null;
            }
            openReplays++;
            return new Replay() {
                private boolean closed;

                public void launch() {
                    if (closed) throw new IllegalStateException("replay launched after close");
                    replayLaunches++;
                    recorded.forEach(Runnable::run);
                }

                public void close() {
                    if (!closed) openReplays--;
                    closed = true;
                }
            };
        }
    }

    /** y = 2·x + 1 as two nodes. */
    private static Graph twoNodes() {
        GraphBuilder b = new GraphBuilder(name -> null);
        b.output("y", b.add(b.scale(b.input("x", DType.F32, 2, 3), 2f, "a"), b.input("one", DType.F32, 1, 3), "y"));
        return b.build();
    }

    private static HostTensor filled(Arena arena, int rows, int cols, float from) {
        HostTensor t = HostTensor.allocate(arena, DType.F32, rows, cols);
        for (int i = 0; i < rows * cols; i++) t.data().setAtIndex(HostTensor.F32, i, from + i);
        return t;
    }

    private static HostTensor ones(Arena arena) {
        HostTensor t = HostTensor.allocate(arena, DType.F32, 1, 3);
        for (int i = 0; i < 3; i++) t.data().setAtIndex(HostTensor.F32, i, 1f);
        return t;
    }

    private static void assertY(GraphExecutor ex, Arena arena, float from, String what) {
        HostTensor y = ex.read("y", arena);
        for (int i = 0; i < 6; i++) assertEquals(2 * (from + i) + 1, y.getDouble(i), 0, what + " y[" + i + "]");
    }

    @Test
    void firstRunIsEagerTheSecondCapturesOnceAndLaterRunsReplay() {
        try (RecordingDevice dev = new RecordingDevice(true); DeviceWeights w = new DeviceWeights(dev, name -> null);
             Arena arena = Arena.ofConfined()) {
            GraphExecutor ex = new GraphExecutor(twoNodes(), w);
            HostTensor one = ones(arena);
            for (int run = 0; run < 4; run++) {
                float from = 10f * run;
                ex.run(Map.of("x", filled(arena, 2, 3, from), "one", one), null);
                assertY(ex, arena, from, "run " + run);
                assertEquals(List.of(2, run == 0 ? 0 : 1, run), List.of(dev.eagerLaunches, dev.captures, dev.replayLaunches),
                        "eager launches, captures, replays after run " + run);
            }
            assertTrue(ex.replayRecorded(null), "the recorded graph replays on request (profiling)");
            assertEquals(1, dev.openReplays);
            ex.close();
            assertEquals(0, dev.openReplays, "close() closes the recorded graph");
        }
    }

    @Test
    void aDeviceThatCannotCaptureIsAskedOnceThenRunsEagerly() {
        try (RecordingDevice dev = new RecordingDevice(false); DeviceWeights w = new DeviceWeights(dev, name -> null);
             GraphExecutor ex = new GraphExecutor(twoNodes(), w); Arena arena = Arena.ofConfined()) {
            HostTensor one = ones(arena);
            for (int run = 0; run < 4; run++) {
                ex.run(Map.of("x", filled(arena, 2, 3, run), "one", one), null);
                assertY(ex, arena, run, "run " + run);
                assertEquals(List.of(2 * (run + 1), run == 0 ? 0 : 1), List.of(dev.eagerLaunches, dev.captures), "eager launches, capture attempts after run " + run);
            }
            assertEquals(false, ex.replayRecorded(null));
        }
    }

    @Test
    void rebindingAnExternalDropsTheRecordedGraph() {
        Graph producer = ExternalTensorTest.producer(), consumer = ExternalTensorTest.consumer();
        try (RecordingDevice dev = new RecordingDevice(true); DeviceWeights w = new DeviceWeights(dev, name -> null);
             GraphExecutor p1 = new GraphExecutor(producer, w); GraphExecutor p2 = new GraphExecutor(producer, w);
             GraphExecutor c = new GraphExecutor(consumer, w); Arena arena = Arena.ofConfined()) {
            HostTensor one = ones(arena);
            p1.run(Map.of("x", filled(arena, 2, 3, 0f)), null);
            p2.run(Map.of("x", filled(arena, 2, 3, 100f)), null);
            c.bind("kv", p1.view(producer.output("kv")));
            c.run(Map.of("one", one), null);
            c.run(Map.of("one", one), null);
            assertEquals(List.of(1, 1), List.of(dev.captures, dev.openReplays), "the consumer's second run captured");
            assertY(c, arena, 0f, "bound to the first producer");
            c.bind("kv", p2.view(producer.output("kv")));
            assertEquals(0, dev.openReplays, "re-binding closed the graph that reads the first producer's memory");
            c.run(Map.of("one", one), null);
            assertY(c, arena, 100f, "bound to the second producer");
            assertEquals(2, dev.captures, "the next run recorded a graph with the new binding");
        }
    }

    @Test
    void profilersCloseTheGraphsTheyRecord() {
        try (RecordingDevice dev = new RecordingDevice(true); DeviceWeights w = new DeviceWeights(dev, name -> null);
             GraphExecutor ex = new GraphExecutor(twoNodes(), w); Arena arena = Arena.ofConfined()) {
            HostTensor one = ones(arena);
            ex.run(Map.of("x", filled(arena, 2, 3, 5f), "one", one), null);
            ex.run(Map.of("x", filled(arena, 2, 3, 5f), "one", one), null);
            int captures = dev.captures;
            List<OpProfiler.OpTime> isolated = OpProfiler.profile(ex, null);
            List<OpProfiler.OpTime> inStep = OpProfiler.inStep(ex, null);
            assertEquals(2, isolated.size());
            assertEquals(2, inStep.size());
            assertEquals(captures + 2 + 2, dev.captures, "one graph per node (isolated) and one per non-empty prefix (in step)");
            assertEquals(1, dev.openReplays, "only the executor's own graph stays open");
            assertY(ex, arena, 5f, "after profiling");
        }
    }
}
