// Runs one built graph on one device: plans memory by liveness, allocates the activation arena
// once, uploads constants, then for each run writes the inputs, launches every node in order and
// lets callers read named outputs. Inputs are planned side by side, so one host→device
// transfer per run carries all of them. Built once per shape bucket and replayed: after one eager
// run, devices with graphs (CUDA) capture the launches once per KV cache and replay them.
package dev.strata.engine.exec;

import dev.strata.engine.backend.BackendException;
import dev.strata.engine.backend.Bindings;
import dev.strata.engine.backend.BufferView;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.backend.DeviceBuffer;
import dev.strata.engine.backend.Support;
import dev.strata.engine.graph.Graph;
import dev.strata.engine.graph.MemoryPlan;
import dev.strata.engine.graph.Node;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.kv.KvCache;
import dev.strata.engine.kv.KvStorage;
import dev.strata.engine.tensor.HostTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

public final class GraphExecutor implements AutoCloseable {
    private final Graph graph;
    private final ComputeDevice device;
    private final DeviceWeights weights;
    private final MemoryPlan plan;
    private final DeviceBuffer arena;
    private final Map<Integer, DeviceBuffer> constants = new HashMap<>();
    private final BufferView[] views;
    /** Tensors another executor computes, located by bind(). */
    private final Map<String, Tensor> externals;
    private final Map<KvStorage, ComputeDevice.Replay> replays = new java.util.IdentityHashMap<>();
    private int eagerRuns;
    private boolean captureFailed;
    /**
     * Host copies of the inputs' span of the arena, so one transfer per run carries every input;
     * two, used in turn, so a run may fill one while the previous run's transfer from the other is
     * still queued (pipelined decoding: ComputeDevice.write's contract).
     */
    private final MemorySegment[] stagings = new MemorySegment[2];
    private MemorySegment staging;
    private int runs;
    private final long inputStart;
    private final Arena stagingArena = Arena.ofShared();

    public GraphExecutor(Graph graph, DeviceWeights weights) {
        this.graph = graph;
        this.weights = weights;
        this.device = weights.device();
        List<String> problems = new ArrayList<>();
        for (Node n : graph.nodes()) {
            Support s = device.supports(n.op());
            if (!s.supported()) problems.add(n.op().kind() + " '" + n.out().name() + "': " + String.join("; ", s.reasons()));
        }
        if (!problems.isEmpty()) throw new BackendException(device.description() + " cannot run this graph: " + problems);
        this.plan = MemoryPlan.plan(graph);
        this.arena = device.allocate(Math.max(plan.peakBytes(), MemoryPlan.ALIGN), "activations");
        try (Arena tmp = Arena.ofConfined()) {
            for (Tensor c : graph.constants()) {
                MemorySegment host = tmp.allocateFrom(ValueLayout.JAVA_FLOAT, c.constant());
                DeviceBuffer b = device.allocate(host.byteSize(), "constant " + c.name());
                device.write(b, 0, host);
                constants.put(c.id(), b);
            }
            device.synchronize();
        }
        long lo = Long.MAX_VALUE, hi = 0, sum = 0;
        for (Tensor in : graph.inputs().values()) {
            lo = Math.min(lo, plan.offset(in));
            hi = Math.max(hi, plan.offset(in) + MemoryPlan.bytesOf(in));
            sum += (MemoryPlan.bytesOf(in) + MemoryPlan.ALIGN - 1) / MemoryPlan.ALIGN * MemoryPlan.ALIGN;
        }
        if (!graph.inputs().isEmpty() && hi - lo > sum) throw new IllegalStateException("memory plan did not place the graph inputs side by side");
        this.inputStart = graph.inputs().isEmpty() ? 0 : lo;
        for (int i = 0; i < stagings.length; i++) stagings[i] = graph.inputs().isEmpty() ? MemorySegment.NULL : stagingArena.allocate(hi - lo, 64);
        this.staging = stagings[0];
        this.externals = graph.externals();
        this.views = new BufferView[graph.tensors().size()];
        for (Tensor t : graph.tensors()) views[t.id()] = locate(t);
    }

    public Graph graph() { return graph; }

    public MemoryPlan plan() { return plan; }

    /**
     * Points the graph's external tensor `name` at device memory that outlives this executor's runs
     * (typically another executor's output view on the same device). Recorded device graphs are
     * dropped when a binding moves, since their launches captured the old address.
     */
    public void bind(String name, BufferView where) {
        Tensor t = externals.get(name);
        if (t == null) throw new IllegalArgumentException("graph has no external '" + name + "'; externals are " + externals.keySet());
        if (where.dtype() != t.dtype() || where.rows() != t.rows() || where.cols() != t.cols()) {
            throw new IllegalArgumentException("external '" + name + "' bound to " + where.dtype() + "[" + where.rows() + ", " + where.cols()
                    + "]; expected " + t.dtype() + t.shapeString());
        }
        if (where.equals(views[t.id()])) return;
        views[t.id()] = where;
        replays.values().forEach(ComputeDevice.Replay::close);
        replays.clear();
    }

    /** Writes inputs (by graph input name) and enqueues every node. kv may be null for graphs without cached attention. */
    public void run(Map<String, HostTensor> inputs, KvCache kv) { run(inputs, kv, Map.of()); }

    /**
     * The same, with some inputs taken from device memory instead of the host: each fed input is
     * copied on the device from its view (same dtype and shape), after the host inputs' transfer
     * and before the first node. Nothing waits, so a decode step can take the token the previous
     * step drew before the host has read it.
     */
    public void run(Map<String, HostTensor> inputs, KvCache kv, Map<String, BufferView> fed) {
        for (Tensor t : externals.values()) {
            if (views[t.id()] == null) throw new IllegalStateException("external '" + t.source() + "' is not bound; call bind() before run()");
        }
        for (Map.Entry<String, BufferView> e : fed.entrySet()) {
            Tensor t = graph.inputs().get(e.getKey());
            BufferView v = e.getValue();
            if (t == null) throw new IllegalArgumentException("fed input '" + e.getKey() + "' is not a graph input; inputs are " + graph.inputs().keySet());
            if (v.dtype() != t.dtype() || v.rows() != t.rows() || v.cols() != t.cols() || v.rowStride() != t.cols()) {
                throw new IllegalArgumentException("fed input '" + e.getKey() + "' is " + v.dtype() + "[" + v.rows() + ", " + v.cols() + "] (row stride "
                        + v.rowStride() + "); expected a dense " + t.dtype() + t.shapeString());
            }
        }
        staging = stagings[runs++ & 1];
        for (Map.Entry<String, Tensor> e : graph.inputs().entrySet()) {
            Tensor t = e.getValue();
            if (fed.containsKey(e.getKey())) { // zeros on the host side: a profiling replay re-writes valid ids, not stale bytes
                staging.asSlice(plan.offset(t) - inputStart, MemoryPlan.bytesOf(t)).fill((byte) 0);
                continue;
            }
            HostTensor h = inputs.get(e.getKey());
            if (h == null) throw new IllegalArgumentException("missing graph input '" + e.getKey() + "'; expected " + t.dtype() + t.shapeString());
            if (h.dtype() != t.dtype() || h.elementCount() != t.elementCount()) {
                throw new IllegalArgumentException("input '" + e.getKey() + "' is " + h + "; expected " + t.dtype() + t.shapeString());
            }
            staging.asSlice(plan.offset(t) - inputStart, h.data().byteSize()).copyFrom(h.data());
        }
        if (staging.byteSize() > 0) device.write(arena, inputStart, staging);
        for (Map.Entry<String, BufferView> e : fed.entrySet()) {
            Tensor t = graph.inputs().get(e.getKey());
            device.copy(e.getValue().buffer(), e.getValue().byteOffset(), arena, plan.offset(t), MemoryPlan.bytesOf(t));
        }
        KvStorage storage = kv == null ? null : kv.storage();
        ComputeDevice.Replay replay = replays.get(storage);
        if (replay == null && eagerRuns > 0 && !captureFailed) {
            replay = device.capture(() -> launchAll(storage));
            if (replay == null) captureFailed = true;
            else replays.put(storage, replay);
        }
        if (replay != null) {
            replay.launch();
        } else {
            launchAll(storage);
            eagerRuns++;
        }
    }

    /**
     * Re-writes the last run's inputs and re-launches nodes [0, count): restores the state node
     * `count` saw in that run (memory is reused by liveness, so a later node may have overwritten
     * an earlier node's inputs). For profiling; KV appends rewrite the same rows.
     */
    public void replayPrefix(int count, KvCache kv) {
        rewriteInputs();
        for (int i = 0; i < count; i++) launchNode(i, kv);
    }

    /** Re-writes the last run's inputs, whose memory later nodes may have reused (for profiling). */
    public void rewriteInputs() {
        if (staging.byteSize() > 0) device.write(arena, inputStart, staging);
    }

    /**
     * Re-writes the last run's inputs (their memory is reused once read) and replays the recorded
     * device graph for this KV cache; false when none was recorded (eager devices, first run).
     */
    public boolean replayRecorded(KvCache kv) {
        ComputeDevice.Replay r = replays.get(kv == null ? null : kv.storage());
        if (r == null) return false;
        rewriteInputs();
        r.launch();
        return true;
    }

    /** Enqueues node `index` again on what its input buffers hold now. */
    public void launchNode(int index, KvCache kv) {
        Node n = graph.nodes().get(index);
        device.launch(n.op(), new NodeBindings(n.out(), kv == null ? null : kv.storage()));
    }

    public ComputeDevice device() { return device; }

    private void launchAll(KvStorage storage) {
        for (Node n : graph.nodes()) device.launch(n.op(), new NodeBindings(n.out(), storage));
    }

    /** Copies an output to host memory (blocking), as F32/I32 row-major. */
    public HostTensor read(String output, Arena arena) {
        Tensor t = graph.output(output);
        HostTensor h = HostTensor.allocate(arena, t.dtype(), t.rows(), t.cols());
        readInto(output, h.data());
        return h;
    }

    public void readInto(String output, MemorySegment dst) {
        Tensor t = graph.output(output);
        device.read(this.arena, plan.offset(t), dst);
    }

    /** Where the graph's output `name` lives on the device (valid until the next run overwrites it). */
    public BufferView outputView(String name) { return view(graph.output(name)); }

    /** Where a tensor of this graph lives on the device. */
    public BufferView view(Tensor t) { return views[t.id()]; }

    private BufferView locate(Tensor t) {
        return switch (t.kind()) {
            case WEIGHT -> new BufferView(weights.get(t), 0, t.rows(), t.cols(), t.rowStride(), t.dtype());
            case CONSTANT -> new BufferView(constants.get(t.id()), 0, t.rows(), t.cols(), t.rowStride(), t.dtype());
            case EXTERNAL -> null;
            case INPUT, ACTIVATION, VIEW -> new BufferView(arena, plan.offset(t) / t.dtype().bytesFor(1) + t.viewOffset(),
                    t.rows(), t.cols(), t.rowStride(), t.dtype());
        };
    }

    private final class NodeBindings implements Bindings {
        private final Tensor out;
        private final KvStorage kv;

        NodeBindings(Tensor out, KvStorage kv) {
            this.out = out;
            this.kv = kv;
        }

        public BufferView view(Tensor t) { return GraphExecutor.this.view(t); }

        public BufferView out() { return GraphExecutor.this.view(out); }

        public KvStorage kv() {
            if (kv == null) throw new IllegalStateException("op needs a KV cache but the run was given none");
            return kv;
        }
    }

    /** Waits (quietly) for queued work first: a run's input transfer may still read the host staging. */
    @Override public void close() {
        device.synchronizeQuietly();
        replays.values().forEach(ComputeDevice.Replay::close);
        replays.clear();
        arena.close();
        stagingArena.close();
        constants.values().forEach(DeviceBuffer::close);
    }
}
