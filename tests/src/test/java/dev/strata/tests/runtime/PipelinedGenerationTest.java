// Pipelined generation (Generator over TokenFeed: step k + 1 enqueued with token k fed on the
// device before the host reads token k) against the plain loop on the same device (engine.step
// with the host's token, a read per step): the same tokens on every backend, greedy and sampled;
// a stop drops the KV row of the step run past it, so the sequence continues as the plain loop's
// does; the token feed and fed inputs refuse misuse with the expected shapes named.
package dev.strata.tests.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.backend.BufferView;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.backend.DeviceBuffer;
import dev.strata.engine.exec.GraphExecutor;
import dev.strata.engine.model.ForwardOptions;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.model.RandomLlama;
import dev.strata.engine.ops.Sample;
import dev.strata.engine.runtime.DecoderEngine;
import dev.strata.engine.runtime.Generator;
import dev.strata.engine.runtime.SamplingParams;
import dev.strata.engine.runtime.TokenFeed;
import dev.strata.engine.tensor.DType;
import dev.strata.loader.SafetensorsDtype;
import dev.strata.tests.ops.DeviceCase;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class PipelinedGenerationTest {
    static final RandomLlama.Spec SPEC = new RandomLlama.Spec("strata-pipelined-test", 128, 2, 4, 2, 256, 300, 64, false, SafetensorsDtype.F32, false);
    static final int[] PROMPT = {1, 42, 7, 250, 13, 99};
    static final int TOKENS = 12, CAPACITY = 32;

    @TempDir static Path dir;
    static LoadedModel model;

    @BeforeAll
    static void setUp() throws IOException {
        RandomLlama.write(dir, SPEC, 9);
        model = LoadedModel.open(dir);
    }

    @AfterAll
    static void tearDown() { model.close(); }

    static Stream<DeviceCase> devices() { return DeviceCase.all().stream(); }

    static SamplingParams params(float temperature, List<Integer> stops) {
        return new SamplingParams(temperature, temperature == 0 ? 0 : 20, temperature == 0 ? 1 : 0.9f, 0, 3, TOKENS, stops, false);
    }

    /** The plain loop: one synchronous step per token, the host feeding back what it read. */
    static List<Integer> stepByStep(DecoderEngine engine, SamplingParams p, int n) {
        engine.kv().reset(0);
        int[] sampling = new int[Sample.PARAMS];
        List<Integer> out = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Integer.BYTES);
            int[] feed = PROMPT;
            for (int k = 0; k < n; k++) {
                p.pack(k, sampling, 0);
                engine.step(feed, new int[] {0}, feed.length, ForwardOptions.SAMPLE, sampling).readInto("next_token", buf);
                int next = buf.get(ValueLayout.JAVA_INT, 0);
                out.add(next);
                feed = new int[] {next};
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("devices")
    void pipelinedTokensEqualTheStepByStepLoop(DeviceCase device) {
        try (ComputeDevice d = device.open(); DecoderEngine engine = new DecoderEngine(model, d, 1, CAPACITY)) {
            for (float temperature : new float[] {0f, 0.9f}) {
                SamplingParams p = params(temperature, List.of());
                List<Integer> expected = stepByStep(engine, p, TOKENS);
                Generator.Result r = new Generator(engine).generate(PROMPT, p, t -> true);
                assertEquals(expected, r.tokens(), device + " T " + temperature);
                assertEquals(Generator.StopReason.MAX_TOKENS, r.stop());
                assertEquals(PROMPT.length + TOKENS - 1, engine.kv().length(0), "KV rows: the prompt and every drawn token but the last");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("devices")
    void aStopDropsTheStepRunPastItAndTheSequenceContinues(DeviceCase device) {
        try (ComputeDevice d = device.open(); DecoderEngine engine = new DecoderEngine(model, d, 1, CAPACITY)) {
            SamplingParams free = params(0.9f, List.of());
            List<Integer> expected = stepByStep(engine, free, TOKENS);
            int at = 4;
            int stop = expected.get(at);
            assumeDistinct(expected, at);
            Generator.Result r = new Generator(engine).generate(PROMPT, params(0.9f, List.of(stop)), t -> true);
            assertEquals(expected.subList(0, at + 1), r.tokens());
            assertEquals(Generator.StopReason.STOP_TOKEN, r.stop());
            assertEquals(PROMPT.length + at, engine.kv().length(0), "the row of the step enqueued past the stop is dropped");
            // the plain loop's next step from here draws the plain loop's next token
            int[] sampling = new int[Sample.PARAMS];
            free.pack(at + 1, sampling, 0);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(Integer.BYTES);
                engine.step(new int[] {stop}, new int[] {0}, 1, ForwardOptions.SAMPLE, sampling).readInto("next_token", buf);
                assertEquals(expected.get(at + 1), buf.get(ValueLayout.JAVA_INT, 0));
            }
            List<Integer> cancelled = new ArrayList<>();
            Generator.Result c = new Generator(engine).generate(PROMPT, free, t -> cancelled.add(t) && cancelled.size() < 3);
            assertEquals(expected.subList(0, 3), c.tokens());
            assertEquals(Generator.StopReason.CANCELLED, c.stop());
            assertEquals(PROMPT.length + 2, engine.kv().length(0));
        }
    }

    /** The stop token must not occur before `at` in the sequence (else the generator stops earlier). */
    static void assumeDistinct(List<Integer> tokens, int at) {
        org.junit.jupiter.api.Assumptions.assumeTrue(!tokens.subList(0, at).contains(tokens.get(at)), "token " + tokens.get(at) + " repeats before position " + at);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("devices")
    void misuseIsRefusedNamingWhatWasExpected(DeviceCase device) {
        try (ComputeDevice d = device.open(); DecoderEngine engine = new DecoderEngine(model, d, 2, CAPACITY);
             TokenFeed feed = new TokenFeed(d, 2, 4)) {
            int[] sampling = new int[2 * Sample.PARAMS];
            params(0f, List.of()).pack(0, sampling, 0);
            params(0f, List.of()).pack(0, sampling, Sample.PARAMS);
            int[] slots = {0, 1};
            IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                    () -> engine.enqueue(new int[] {1, 2}, feed.tokens(0), slots, 1, ForwardOptions.SAMPLE, sampling));
            assertTrue(both.getMessage().contains("exactly one"), both.getMessage());
            IllegalArgumentException rows = assertThrows(IllegalArgumentException.class,
                    () -> engine.enqueue(null, feed.tokens(0), slots, 2, ForwardOptions.SAMPLE, sampling));
            assertTrue(rows.getMessage().contains("2 tokens for 2 sequences of 2; expected 4"), rows.getMessage());
            try (DeviceBuffer b = d.allocate(64, "test")) {
                BufferView f32 = new BufferView(b, 0, 2, 1, 1, DType.F32);
                IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class,
                        () -> engine.enqueue(null, f32, slots, 1, ForwardOptions.SAMPLE, sampling));
                assertTrue(dtype.getMessage().contains("expected a dense I32[2, 1]"), dtype.getMessage());
            }
            GraphExecutor ex = engine.enqueue(new int[] {1, 2}, null, slots, 1, ForwardOptions.SAMPLE, sampling);
            feed.keep(ex, 0);
            IllegalStateException twice = assertThrows(IllegalStateException.class, () -> feed.keep(ex, 2));
            assertTrue(twice.getMessage().contains("await them"), twice.getMessage());
            int[] drawn = feed.await(0);
            assertEquals(2, drawn.length);
            IllegalStateException again = assertThrows(IllegalStateException.class, () -> feed.await(0));
            assertTrue(again.getMessage().contains("awaited already"), again.getMessage());
            assertThrows(IllegalArgumentException.class, () -> feed.tokens(4));
        }
    }
}
