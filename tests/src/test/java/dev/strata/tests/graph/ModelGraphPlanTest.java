// The memory plan on real model graphs: Llama graphs of a tiny RandomLlama (several batch ×
// seqLen buckets, with hidden states and argmax outputs) are checked by brute force — no two
// tensors whose lifetimes meet share a byte, peakBytes ≤ unplannedBytes with real reuse — and
// one is run on the CPU to confirm that outputs written early (hidden_states.0, the embedding
// rows) are still exactly right after every later node has run, and that replaying the same
// executor reproduces every output bit for bit.
package dev.strata.tests.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.strata.engine.cpu.CpuDevice;
import dev.strata.engine.exec.GraphExecutor;
import dev.strata.engine.graph.Graph;
import dev.strata.engine.graph.MemoryPlan;
import dev.strata.engine.graph.Node;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.model.ForwardOptions;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.model.RandomLlama;
import dev.strata.engine.runtime.DecoderEngine;
import dev.strata.engine.tensor.HostTensor;
import dev.strata.loader.SafetensorsDtype;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelGraphPlanTest {
    static final RandomLlama.Spec SPEC = new RandomLlama.Spec("strata-plan-test", 64, 3, 4, 2, 160, 300, 64, false, SafetensorsDtype.F32, true);
    static final ForwardOptions ALL = new ForwardOptions(true, true, ForwardOptions.NextToken.ARGMAX);

    @TempDir static Path dir;
    static LoadedModel model;

    @BeforeAll
    static void setUp() throws IOException {
        RandomLlama.write(dir, SPEC, 11);
        model = LoadedModel.open(dir);
    }

    @AfterAll
    static void tearDown() { model.close(); }

    /** [def, last] per planned storage: inputs from -1, outputs to the end. */
    static Map<Tensor, int[]> liveness(Graph g) {
        Map<Tensor, int[]> iv = new LinkedHashMap<>();
        for (Tensor in : g.inputs().values()) iv.put(in, new int[] {-1, -1});
        for (int i = 0; i < g.nodes().size(); i++) {
            Node node = g.nodes().get(i);
            for (Tensor in : node.op().inputs()) {
                int[] s = iv.get(in.storage());
                if (s != null) s[1] = Math.max(s[1], i);
            }
            iv.put(node.out(), new int[] {i, i});
        }
        for (Tensor out : g.outputs().values()) iv.get(out.storage())[1] = g.nodes().size();
        return iv;
    }

    @ParameterizedTest(name = "batch {0} × seqLen {1}, all logits {2}")
    @CsvSource({"1, 1, false", "1, 7, true", "3, 5, true", "4, 1, false", "2, 16, true"})
    void planHasNoLiveOverlapAndReuses(int batch, int seqLen, boolean everything) {
        Graph g = model.definition().build(model, batch, seqLen, everything ? ALL : ForwardOptions.GENERATE);
        MemoryPlan plan = MemoryPlan.plan(g);
        Map<Tensor, int[]> live = liveness(g);
        List<Tensor> ts = new ArrayList<>(live.keySet());
        for (int i = 0; i < ts.size(); i++) {
            Tensor a = ts.get(i);
            int[] la = live.get(a);
            long a0 = plan.offset(a), a1 = a0 + MemoryPlan.bytesOf(a);
            assertTrue(a1 <= plan.peakBytes(), () -> a + " ends past the arena");
            for (int j = i + 1; j < ts.size(); j++) {
                Tensor b = ts.get(j);
                int[] lb = live.get(b);
                if (la[0] > lb[1] || lb[0] > la[1]) continue;
                long b0 = plan.offset(b), b1 = b0 + MemoryPlan.bytesOf(b);
                if (a0 < b1 && b0 < a1) fail(a + " live " + la[0] + ".." + la[1] + " overlaps " + b + " live " + lb[0] + ".." + lb[1]);
            }
        }
        assertTrue(plan.peakBytes() < plan.unplannedBytes(), () -> "no reuse: peak " + plan.peakBytes() + " of " + plan.unplannedBytes());
        if (!everything) {
            assertTrue(plan.peakBytes() * 3 < plan.unplannedBytes(), () -> "a 3-layer generation graph should reuse most of its memory: peak "
                    + plan.peakBytes() + " of " + plan.unplannedBytes());
        }
    }

    @Test
    void earlyOutputsSurviveTheRunAndReplaysRepeat() {
        int seqLen = 9, hidden = SPEC.hidden();
        int[] tokens = {1, 5, 299, 0, 77, 5, 140, 200, 3};
        try (CpuDevice device = new CpuDevice(false, 2); DecoderEngine engine = new DecoderEngine(model, device, 1, 32); Arena arena = Arena.ofConfined()) {
            GraphExecutor ex = engine.step(tokens, new int[] {0}, seqLen, ALL);
            HostTensor h0 = ex.read("hidden_states.0", arena);
            MemorySegment table = model.weights().data("model.embed_tokens.weight");
            for (int r = 0; r < seqLen; r++) {
                for (int c = 0; c < hidden; c++) {
                    float expected = table.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, (long) tokens[r] * hidden + c);
                    assertEquals(expected, (float) h0.getDouble((long) r * hidden + c), "hidden_states.0[" + r + ", " + c + "]");
                }
            }
            Map<String, float[]> first = readAll(ex, arena);
            engine.kv().reset(0);
            GraphExecutor again = engine.step(tokens, new int[] {0}, seqLen, ALL);
            assertEquals(ex, again, "the bucket's executor is replayed");
            Map<String, float[]> second = readAll(again, arena);
            assertEquals(first.keySet(), second.keySet());
            for (String name : first.keySet()) assertArrayEquals(first.get(name), second.get(name), name + " differs on replay");
            int[] next = new int[seqLen];
            HostTensor nt = ex.read("next_token", arena);
            float[] logits = first.get("logits");
            for (int r = 0; r < seqLen; r++) {
                next[r] = (int) nt.getLong(r);
                int best = 0;
                for (int v = 1; v < SPEC.vocab(); v++) if (logits[r * SPEC.vocab() + v] > logits[r * SPEC.vocab() + best]) best = v;
                assertEquals(best, next[r], "next_token row " + r + " is the argmax of its logits row");
            }
        }
    }

    private static Map<String, float[]> readAll(GraphExecutor ex, Arena arena) {
        Map<String, float[]> out = new HashMap<>();
        for (Map.Entry<String, Tensor> e : ex.graph().outputs().entrySet()) {
            if (e.getKey().equals("next_token")) continue;
            HostTensor h = ex.read(e.getKey(), arena);
            float[] v = new float[Math.toIntExact(h.elementCount())];
            MemorySegment.copy(h.data(), ValueLayout.JAVA_FLOAT_UNALIGNED, 0, v, 0, v.length);
            out.put(e.getKey(), v);
        }
        return out;
    }
}
