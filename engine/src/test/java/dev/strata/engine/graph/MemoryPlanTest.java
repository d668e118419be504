// MemoryPlan invariants, checked by brute force against liveness intervals computed here: no two
// tensors whose lifetimes meet share a byte (an op's output never aliases its own inputs),
// outputs stay intact to the end, views sit in their base's space, offsets are aligned,
// peakBytes ≤ unplannedBytes, and a long chain actually reuses memory. Graphs: random DAGs
// (chains, diamonds, broadcasts, views, gathers, argmax-fed gathers) and hand-built diamonds.
package dev.strata.engine.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.strata.engine.ops.Activation;
import dev.strata.engine.tensor.DType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MemoryPlanTest {
    private static final WeightCatalog NO_WEIGHTS = name -> null;

    /** [first step the storage must hold data, last step it must keep it]: inputs from -1, outputs to n. */
    record Interval(int def, int last) {
        boolean meets(Interval o) { return def <= o.last && o.def <= last; }
    }

    static Map<Tensor, Interval> liveness(Graph g) {
        int n = g.nodes().size();
        Map<Tensor, int[]> iv = new HashMap<>();
        for (Tensor in : g.inputs().values()) iv.put(in, new int[] {-1, -1});
        for (int i = 0; i < n; i++) {
            Node node = g.nodes().get(i);
            for (Tensor in : node.op().inputs()) {
                int[] s = iv.get(in.storage());
                if (s != null) s[1] = Math.max(s[1], i);
            }
            iv.put(node.out(), new int[] {i, i});
        }
        for (Tensor out : g.outputs().values()) iv.get(out.storage())[1] = n;
        Map<Tensor, Interval> result = new HashMap<>();
        iv.forEach((t, a) -> result.put(t, new Interval(a[0], a[1])));
        return result;
    }

    /** Checks every invariant of plan(g); returns the plan. */
    static MemoryPlan checkPlan(Graph g) {
        MemoryPlan plan = MemoryPlan.plan(g);
        Map<Tensor, Interval> live = liveness(g);
        List<Tensor> planned = new ArrayList<>(live.keySet());
        long sum = 0;
        for (Tensor t : planned) {
            long off = plan.offset(t);
            assertEquals(0, off % MemoryPlan.ALIGN, () -> t + " at unaligned offset " + off);
            assertTrue(off + MemoryPlan.bytesOf(t) <= plan.peakBytes(), () -> t + " ends past peakBytes " + plan.peakBytes());
            sum += (MemoryPlan.bytesOf(t) + MemoryPlan.ALIGN - 1) / MemoryPlan.ALIGN * MemoryPlan.ALIGN;
        }
        for (int i = 0; i < planned.size(); i++) {
            for (int j = i + 1; j < planned.size(); j++) {
                Tensor a = planned.get(i), b = planned.get(j);
                if (!live.get(a).meets(live.get(b))) continue;
                long a0 = plan.offset(a), a1 = a0 + MemoryPlan.bytesOf(a), b0 = plan.offset(b), b1 = b0 + MemoryPlan.bytesOf(b);
                if (a0 < b1 && b0 < a1) {
                    fail(a + " " + live.get(a) + " at [" + a0 + ", " + a1 + ") overlaps " + b + " " + live.get(b) + " at [" + b0 + ", " + b1 + ")");
                }
            }
        }
        for (Tensor t : g.tensors()) {
            if (t.kind() == Tensor.Kind.VIEW) assertEquals(plan.offset(t.storage()), plan.offset(t), () -> "view " + t + " is planned with its base");
        }
        assertEquals(sum, plan.unplannedBytes(), "unplannedBytes is the sum of the aligned sizes");
        assertTrue(plan.peakBytes() <= plan.unplannedBytes(), () -> "peak " + plan.peakBytes() + " > unplanned " + plan.unplannedBytes());
        return plan;
    }

    /**
     * A random DAG over F32 tensors: unary ops (scale, softmax, activation), adds of equal shapes or
     * a broadcast row, column views feeding ops, row gathers by input ids or by an argmax, and
     * random outputs. Operands are drawn from the whole history, so lifetimes nest and cross.
     * Only planned, never run (argmax-fed gathers may index past the table).
     */
    static Graph randomGraph(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        GraphBuilder g = new GraphBuilder(NO_WEIGHTS);
        List<Tensor> pool = new ArrayList<>();
        int inputs = 1 + rnd.nextInt(3);
        for (int i = 0; i < inputs; i++) pool.add(g.input("x" + i, DType.F32, 1 + rnd.nextInt(9), 1 + rnd.nextInt(200)));
        Tensor ids = g.input("ids", DType.I32, 1 + rnd.nextInt(6), 1);
        int steps = 5 + rnd.nextInt(40);
        for (int s = 0; s < steps; s++) {
            // prefer recent tensors (chains) but reach back (long lifetimes, diamonds)
            Tensor a = pool.get(rnd.nextInt(4) == 0 ? rnd.nextInt(pool.size()) : Math.max(0, pool.size() - 1 - rnd.nextInt(3)));
            String name = "t" + s;
            Tensor out = switch (rnd.nextInt(7)) {
                case 0 -> g.scale(a, 0.5f, name);
                case 1 -> g.softmax(a, name);
                case 2 -> {
                    List<Tensor> same = pool.stream().filter(t -> t.cols() == a.cols() && (t.rows() == a.rows() || t.rows() == 1)).toList();
                    yield g.add(a, same.get(rnd.nextInt(same.size())), name);
                }
                case 3 -> {
                    if (a.cols() < 2) yield g.scale(a, 2f, name);
                    int from = rnd.nextInt(a.cols() - 1);
                    yield g.scale(g.columns(a, from, 1 + rnd.nextInt(a.cols() - from), name + "_view"), 3f, name);
                }
                case 4 -> g.embedding(a, g.argmax(a, name + "_argmax"), name);
                case 5 -> g.embedding(a, ids, name);
                default -> g.activate(a, Activation.SILU, name);
            };
            pool.add(out);
            if (rnd.nextInt(6) == 0 && out.kind() != Tensor.Kind.VIEW) g.output("out" + s, out);
        }
        g.output("final", pool.getLast());
        return g.build();
    }

    @Test
    void randomGraphsNeverOverlapLiveTensors() {
        for (long seed = 0; seed < 300; seed++) {
            try {
                checkPlan(randomGraph(seed));
            } catch (AssertionError e) {
                throw new AssertionError("random graph seed " + seed + ": " + e.getMessage(), e);
            }
        }
    }

    @ParameterizedTest(name = "diamonds nested {0} deep")
    @ValueSource(ints = {1, 2, 5})
    void diamonds(int depth) {
        GraphBuilder g = new GraphBuilder(NO_WEIGHTS);
        Tensor x = g.input("x", DType.F32, 7, 65);
        Tensor cur = x;
        for (int d = 0; d < depth; d++) {
            Tensor left = g.scale(cur, 2f, "left" + d);
            Tensor right = g.softmax(cur, "right" + d);
            Tensor inner = g.activate(right, Activation.RELU, "inner" + d);
            cur = g.add(left, inner, "join" + d);
            if (d == 0) g.output("first_join", cur);
        }
        g.output("y", cur);
        checkPlan(g.build());
    }

    @Test
    void outputsComputedEarlyAreNeverReused() {
        GraphBuilder g = new GraphBuilder(NO_WEIGHTS);
        Tensor x = g.input("x", DType.F32, 4, 64);
        Tensor early = g.output("early", g.scale(x, 2f, "early"));
        Tensor cur = g.scale(x, 3f, "c0");
        for (int i = 1; i < 20; i++) cur = g.scale(cur, 1.5f, "c" + i);
        g.output("late", cur);
        Graph graph = g.build();
        MemoryPlan plan = checkPlan(graph);
        long e0 = plan.offset(early), e1 = e0 + MemoryPlan.bytesOf(early);
        for (Node n : graph.nodes()) {
            if (n.out() == early) continue;
            long o0 = plan.offset(n.out()), o1 = o0 + MemoryPlan.bytesOf(n.out());
            assertTrue(o1 <= e0 || o0 >= e1, () -> n.out() + " reuses the space of output 'early'");
        }
    }

    @Test
    void longChainReusesMemory() {
        GraphBuilder g = new GraphBuilder(NO_WEIGHTS);
        Tensor cur = g.input("x", DType.F32, 64, 64); // 16 KiB
        for (int i = 0; i < 100; i++) cur = g.scale(cur, 1.01f, "c" + i);
        g.output("y", cur);
        MemoryPlan plan = checkPlan(g.build());
        long one = 64 * 64 * 4;
        assertEquals(101 * one, plan.unplannedBytes());
        assertTrue(plan.peakBytes() <= 2 * one, () -> "a chain needs two buffers; peak is " + plan.peakBytes());
    }

    @Test
    void viewsKeepTheirBaseAlive() {
        GraphBuilder g = new GraphBuilder(NO_WEIGHTS);
        Tensor x = g.input("x", DType.F32, 4, 96);
        Tensor fused = g.scale(x, 1f, "fused");
        Tensor a = g.scale(g.columns(fused, 0, 32, "q"), 2f, "a");
        Tensor filler = g.scale(a, 2f, "filler");
        Tensor b = g.add(g.columns(fused, 64, 32, "v"), filler, "b");
        g.output("b", b);
        Graph graph = g.build();
        MemoryPlan plan = checkPlan(graph);
        long f0 = plan.offset(fused), f1 = f0 + MemoryPlan.bytesOf(fused);
        long l0 = plan.offset(filler), l1 = l0 + MemoryPlan.bytesOf(filler);
        assertTrue(l1 <= f0 || l0 >= f1, "'filler' is written while the 'v' view of 'fused' is still to be read");
    }
}
