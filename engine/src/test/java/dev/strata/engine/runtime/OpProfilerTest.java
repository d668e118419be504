// OpProfiler on the CPU: one positive time per node of a decode step. Also checks what the
// profiler relies on: replaying a step recomputes every value from the inputs and the KV cache
// alone — no kernel reads memory outside the tensors it was given (the arena is poisoned with
// NaN first) — bit for bit in both modes (the fast path sums lanes in a fixed order and uses
// scalar exp, so JIT compilation between the runs cannot change its results).
package dev.strata.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.cpu.CpuBuffer;
import dev.strata.engine.cpu.CpuDevice;
import dev.strata.engine.exec.GraphExecutor;
import dev.strata.engine.graph.Node;
import dev.strata.engine.model.ForwardOptions;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.model.RandomLlama;
import dev.strata.loader.SafetensorsDtype;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OpProfilerTest {
    @ParameterizedTest(name = "reference {0}")
    @ValueSource(booleans = {false, true})
    void replayIsExactAndEveryNodeIsTimed(boolean reference, @TempDir Path dir) throws Exception {
        RandomLlama.write(dir, new RandomLlama.Spec("profile-test", 64, 2, 4, 2, 128, 300, 64, false, SafetensorsDtype.F32, false), 5);
        try (LoadedModel m = LoadedModel.open(dir); CpuDevice dev = new CpuDevice(reference, 1);
             DecoderEngine engine = new DecoderEngine(m, dev, 1, 16); Arena arena = Arena.ofConfined()) {
            engine.step(new int[] {5, 6, 7}, new int[] {0}, 3, ForwardOptions.GENERATE);
            GraphExecutor ex = engine.step(new int[] {9}, new int[] {0}, 1, ForwardOptions.GENERATE);
            float[] before = ex.read("logits", arena).data().toArray(ValueLayout.JAVA_FLOAT);

            Node first = ex.graph().nodes().get(0);
            MemorySegment activations = ((CpuBuffer) ex.view(first.out()).buffer()).segment();
            for (long i = 0; i < activations.byteSize() / 4; i++) activations.setAtIndex(ValueLayout.JAVA_FLOAT, i, Float.NaN);
            ex.replayPrefix(ex.graph().nodes().size(), engine.kv());
            float[] replayed = ex.read("logits", arena).data().toArray(ValueLayout.JAVA_FLOAT);
            assertArrayEquals(before, replayed, "replay after poisoning");

            List<OpProfiler.OpTime> times = OpProfiler.profile(ex, engine.kv());
            assertEquals(ex.graph().nodes().size(), times.size());
            for (OpProfiler.OpTime t : times) assertTrue(t.micros() > 0, t.toString());
            assertArrayEquals(before, ex.read("logits", arena).data().toArray(ValueLayout.JAVA_FLOAT), "after profiling");

            List<OpProfiler.OpTime> inStep = OpProfiler.inStep(ex, engine.kv());
            assertEquals(times.stream().map(OpProfiler.OpTime::name).toList(), inStep.stream().map(OpProfiler.OpTime::name).toList());
            assertTrue(inStep.stream().mapToDouble(OpProfiler.OpTime::micros).sum() > 0, inStep.toString());
            assertArrayEquals(before, ex.read("logits", arena).data().toArray(ValueLayout.JAVA_FLOAT), "after the in-step profile");

            Map<String, Double> byRole = OpProfiler.byRole(inStep);
            long perLayer = ex.graph().nodes().stream().filter(nd -> nd.out().name().endsWith("-0")).count();
            assertTrue(perLayer > 0, "no node of layer 0 in " + times);
            assertEquals(ex.graph().nodes().size() - perLayer, byRole.size(), "both layers' nodes fold into one role each: " + byRole.keySet());
            assertTrue(byRole.containsKey("qkv") && byRole.containsKey("logits"), byRole.keySet().toString());
        }
    }

    @Test
    void roleDropsTheLayerSuffixOnly() {
        assertEquals("ffn_inp", OpProfiler.role("ffn_inp-12"));
        assertEquals("cross_attn-x", OpProfiler.role("cross_attn-x-3"));
        assertEquals("logits", OpProfiler.role("logits"));
        assertEquals("layer3", OpProfiler.role("layer3"));
    }
}
