// Runs one op on one device the way a model does: weights through an in-memory WeightCatalog and
// DeviceWeights, inputs as HostTensors, a GraphBuilder graph replayed by GraphExecutor. Every
// graph is guarded: a graph output ("guard") is planned directly after the op's output, and the
// guard and all graph inputs must be bit-identical after the run, so a kernel writing past its
// output or into its inputs fails the test even when its own output is right. Every graph runs
// twice, so backends that capture and replay device graphs are checked on both paths.
package dev.strata.tests.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.exec.DeviceWeights;
import dev.strata.engine.exec.GraphExecutor;
import dev.strata.engine.graph.Graph;
import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.graph.MemoryPlan;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.graph.WeightCatalog;
import dev.strata.engine.kv.KvCache;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

public final class OpHarness implements AutoCloseable {
    /** Shared: the fast CPU kernels read (aliased) weights from worker threads. */
    private final Arena arena = Arena.ofShared();
    private final Map<String, WeightCatalog.Entry> entries = new HashMap<>();
    private final Map<String, MemorySegment> data = new HashMap<>();
    private final WeightCatalog catalog = entries::get;

    /** A built graph with its op output and the guard planned right after it. */
    public record Guarded(Graph graph, Tensor out, Tensor guard, float[] guardValues) {}

    // ---- weights and inputs ---------------------------------------------------------------

    /** Stores values as a checkpoint tensor; returns the values as stored (rounded to dtype), in double. */
    public double[] weight(String name, DType dtype, long[] shape, float[] values) {
        if (HostTensor.elementCount(shape) != values.length) throw new IllegalArgumentException(name + ": " + values.length + " values for " + Arrays.toString(shape));
        MemorySegment seg = arena.allocate(dtype.bytesFor(values.length), 64);
        double[] stored = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            switch (dtype) {
                case F32 -> seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, values[i]);
                case F16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(values[i]));
                case BF16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, toBf16(values[i]));
                default -> throw new IllegalArgumentException("weights are F32, F16 or BF16; got " + dtype);
            }
        }
        HostTensor view = new HostTensor(dtype, new long[] {values.length}, seg);
        for (int i = 0; i < values.length; i++) stored[i] = view.getDouble(i);
        entries.put(name, new WeightCatalog.Entry(name, dtype, shape.clone()));
        data.put(name, seg);
        return stored;
    }

    /** Round-to-nearest-even float → bfloat16 bits (finite inputs). */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    public HostTensor f32(int rows, int cols, float[] values) {
        HostTensor h = HostTensor.allocate(arena, DType.F32, rows, cols);
        MemorySegment.copy(values, 0, h.data(), ValueLayout.JAVA_FLOAT_UNALIGNED, 0, values.length);
        return h;
    }

    public HostTensor i32(int rows, int cols, int[] values) {
        HostTensor h = HostTensor.allocate(arena, DType.I32, rows, cols);
        MemorySegment.copy(values, 0, h.data(), ValueLayout.JAVA_INT_UNALIGNED, 0, values.length);
        return h;
    }

    public static float[] uniform(SplittableRandom rnd, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (lo + rnd.nextDouble() * (hi - lo));
        return v;
    }

    public static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    public static double[] values(HostTensor h) {
        double[] d = new double[Math.toIntExact(h.elementCount())];
        for (int i = 0; i < d.length; i++) d[i] = h.getDouble(i);
        return d;
    }

    public static int[] ints(HostTensor h) {
        int[] d = new int[Math.toIntExact(h.elementCount())];
        for (int i = 0; i < d.length; i++) d[i] = (int) h.getLong(i);
        return d;
    }

    // ---- graphs ---------------------------------------------------------------------------

    /**
     * Builds a graph whose op (recorded by body) writes an outRows × outCols output of outDtype,
     * planned so the guard output directly follows it: a same-sized temporary ("guard_hole") is
     * computed and read before the op, freed just before it, and the op's output takes its place.
     */
    public Guarded guarded(int outRows, int outCols, DType outDtype, Function<GraphBuilder, Tensor> body) {
        GraphBuilder g = new GraphBuilder(catalog);
        Tensor hole = g.scale(g.constant("guard_hole_src", outRows, outCols, new float[outRows * outCols]), 1f, "guard_hole");
        int guardCols = Math.max(256, 2 * outCols);
        float[] guardValues = uniform(new SplittableRandom(outRows * 31L + outCols), guardCols, -1e3, 1e3);
        Tensor guard = g.output("guard", g.scale(g.constant("guard_src", 1, guardCols, guardValues), 1f, "guard"));
        g.argmax(hole, "guard_hole_reader");
        Tensor out = body.apply(g);
        assertEquals(outDtype, out.dtype(), "op output dtype");
        assertEquals("[" + outRows + ", " + outCols + "]", out.shapeString(), "op output shape");
        g.output("out", out);
        return new Guarded(g.build(), out, guard, guardValues);
    }

    public Session open(DeviceCase device) { return new Session(device.open()); }

    /** A session on an already opened device (closed with the session). */
    public Session open(ComputeDevice device) { return new Session(device); }

    /** An opened device with the harness's weights, for one or more runs (a KV cache outlives runs). */
    public final class Session implements AutoCloseable {
        private final ComputeDevice device;
        private final DeviceWeights weights;

        Session(ComputeDevice device) {
            this.device = device;
            this.weights = new DeviceWeights(device, name -> {
                MemorySegment s = data.get(name);
                if (s == null) throw new IllegalArgumentException("no test weight '" + name + "'");
                return s;
            });
        }

        public ComputeDevice device() { return device; }

        /**
         * Runs the graph twice — eagerly, then again as devices with graphs replay it (CUDA graphs
         * are captured on the second run) — checking after each run the guard, the inputs and the
         * output's size; the replay must reproduce the first output. Returns the first output.
         */
        public HostTensor run(Guarded g, Map<String, HostTensor> inputs, KvCache kv) {
            try (GraphExecutor ex = new GraphExecutor(g.graph(), weights)) {
                MemoryPlan plan = ex.plan();
                long outBytes = MemoryPlan.bytesOf(g.out());
                long outEnd = plan.offset(g.out()) + (outBytes + MemoryPlan.ALIGN - 1) / MemoryPlan.ALIGN * MemoryPlan.ALIGN;
                assertEquals(outEnd, plan.offset(g.guard()), "test scaffolding: the guard must be planned directly after the op's output");
                HostTensor first = runOnce(ex, g, inputs, kv, outEnd, "first run");
                HostTensor again = runOnce(ex, g, inputs, kv, outEnd, "replayed run");
                double[] a = values(first), b = values(again);
                for (int i = 0; i < b.length; i++) {
                    if (Double.isNaN(b[i]) != Double.isNaN(a[i])) fail(g.out() + " replayed run has " + b[i] + " at " + i + "; first run " + a[i]);
                }
                double replayError = Nmse.of(b, a);
                if (!(replayError <= Nmse.REPLAY)) fail(String.format("%s on %s: the replayed run differs from the first by NMSE %.3e", g.out(), device.description(), replayError));
                return first;
            }
        }

        private HostTensor runOnce(GraphExecutor ex, Guarded g, Map<String, HostTensor> inputs, KvCache kv, long outEnd, String which) {
            MemoryPlan plan = ex.plan();
            long outBytes = MemoryPlan.bytesOf(g.out());
            ex.run(inputs, kv);
            device.synchronize();
            HostTensor out = ex.read("out", arena);
            assertArrayEquals(new long[] {g.out().rows(), g.out().cols()}, out.shape(), "output shape read back");
            assertEquals(outBytes, out.data().byteSize(), "output bytes read back");
            List<String> damage = new ArrayList<>();
            try (Arena tmp = Arena.ofConfined()) {
                HostTensor guard = ex.read("guard", tmp);
                for (int i = 0; i < g.guardValues().length; i++) {
                    if (Float.floatToRawIntBits((float) guard.getDouble(i)) != Float.floatToRawIntBits(g.guardValues()[i])) {
                        damage.add("guard element " + i + " (" + (i * 4 + outEnd - plan.offset(g.out()) - outBytes) + " bytes past the output's end) is "
                                + guard.getDouble(i) + "; was " + g.guardValues()[i]);
                        break;
                    }
                }
                for (Map.Entry<String, Tensor> e : g.graph().inputs().entrySet()) {
                    Tensor t = e.getValue();
                    MemorySegment back = tmp.allocate(MemoryPlan.bytesOf(t), 64);
                    device.read(ex.view(t).buffer(), plan.offset(t), back);
                    long at = back.mismatch(inputs.get(e.getKey()).data());
                    if (at >= 0) damage.add("input '" + e.getKey() + "' changed at byte " + at);
                }
            }
            if (!damage.isEmpty()) fail(g.out() + " on " + device.description() + " wrote outside its output (" + which + "): " + damage);
            return out;
        }

        @Override public void close() {
            weights.close();
            device.close();
        }
    }

    @Override public void close() { arena.close(); }

    // ---- parameters -----------------------------------------------------------------------

    /** The cartesian product of the given lists, as JUnit arguments (first list varies slowest). */
    public static Stream<Arguments> cross(List<?>... lists) {
        Stream<List<Object>> acc = Stream.of(List.of());
        for (List<?> l : lists) {
            acc = acc.flatMap(prefix -> l.stream().map(x -> {
                List<Object> next = new ArrayList<>(prefix);
                next.add(x);
                return next;
            }));
        }
        return acc.map(a -> Arguments.of(a.toArray()));
    }
}
