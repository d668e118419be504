// End-to-end decode on every backend and mode against the CPU reference device: a tiny random
// Llama's prompt logits and hidden states agree by NMSE, and greedy KV-cached generation picks
// the same tokens wherever the reference's top-two logit margin is clear of rounding noise.
package dev.strata.tests.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.cpu.CpuDevice;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.model.RandomLlama;
import dev.strata.engine.runtime.Evaluator;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import dev.strata.loader.SafetensorsDtype;
import dev.strata.tests.ops.DeviceCase;
import dev.strata.tests.ops.Nmse;
import dev.strata.tests.ops.OpHarness;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CrossBackendDecodeTest {
    static final RandomLlama.Spec SPEC = new RandomLlama.Spec("strata-cross-backend-test", 128, 2, 4, 1, 256, 300, 64, false, SafetensorsDtype.BF16, true);
    static final long[] PROMPT = {1, 42, 7, 250, 13, 99, 180, 3, 64, 12, 5};
    static final int GENERATE = 10, BATCH = 2;
    /** Below this top-two margin the reference's choice is within the devices' rounding differences. */
    static final float CLEAR_MARGIN = 1e-4f;

    @TempDir static Path dir;
    static LoadedModel model;
    static Arena arena;
    static Map<String, HostTensor> reference;

    @BeforeAll
    static void setUp() throws IOException {
        RandomLlama.write(dir, SPEC, 5);
        model = LoadedModel.open(dir);
        arena = Arena.ofShared();
        try (CpuDevice ref = new CpuDevice(true, 1)) {
            reference = run(ref);
        }
    }

    @AfterAll
    static void tearDown() {
        model.close();
        arena.close();
    }

    static Stream<DeviceCase> devices() { return DeviceCase.all().stream(); }

    /** Two sequences: the prompt and the prompt reversed. */
    static Map<String, HostTensor> run(ComputeDevice device) {
        HostTensor ids = HostTensor.allocate(arena, DType.I64, BATCH, PROMPT.length);
        for (int i = 0; i < PROMPT.length; i++) {
            ids.data().setAtIndex(HostTensor.I64, i, PROMPT[i]);
            ids.data().setAtIndex(HostTensor.I64, PROMPT.length + i, PROMPT[PROMPT.length - 1 - i]);
        }
        return Evaluator.evaluateDecoder(model, device, ids, null, GENERATE, arena);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("devices")
    void matchesTheReferenceDevice(DeviceCase device) {
        Map<String, HostTensor> out;
        try (ComputeDevice d = device.open()) {
            out = run(d);
        }
        for (String name : reference.keySet()) {
            if (name.equals("generated_ids")) continue;
            Nmse.check(device + " " + name, OpHarness.values(out.get(name)), OpHarness.values(reference.get(name)), Nmse.limit(device, Nmse.MATMUL));
        }
        int vocab = SPEC.vocab(), total = PROMPT.length + GENERATE;
        double[] genLogits = OpHarness.values(reference.get("generated_logits"));
        HostTensor refIds = reference.get("generated_ids"), ids = out.get("generated_ids");
        int compared = 0;
        for (int b = 0; b < BATCH; b++) {
            for (int step = 0; step < GENERATE; step++) {
                int at = b * total + PROMPT.length + step;
                assertEquals(refIds.getLong(at), ids.getLong(at), device + " sequence " + b + " token " + step);
                compared++;
                double best = Double.NEGATIVE_INFINITY, second = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < vocab; v++) {
                    double l = genLogits[(b * GENERATE + step) * vocab + v];
                    if (l > best) {
                        second = best;
                        best = l;
                    } else if (l > second) second = l;
                }
                if (best - second < CLEAR_MARGIN) break; // later tokens may legitimately diverge
            }
        }
        assertTrue(compared >= BATCH, "at least the first token of each sequence is compared");
    }
}
