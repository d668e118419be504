// Pipelined encoder-decoder generation (Seq2SeqGenerator without kept logits: step k + 1 enqueued
// with step k's argmax fed on the device, TokenFeed) against the synchronous loop that reads every
// step's logits and feeds the host's argmax (the path EncoderDecoderFixtureTest ties to HF
// transformers' generated_ids), on every backend, for t5 and marian:
// - the same ids for a batch of two sources of different lengths, with and without stopping at
//   EOS (t5's first row draws EOS at once, so the two loops feed that row different tokens: pad,
//   or its own argmax), and the same logits of one more step over the caches each left (they hold
//   every fed token, which ids alone may not show);
// - a stop leaves the decoder cache as the synchronous loop does (the step run past it dropped);
// - Seq2SeqEngine.enqueue refuses tokens from both the host and the device, or a mis-sized view.
package dev.strata.tests.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.model.ForwardOptions;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.runtime.Seq2SeqEngine;
import dev.strata.engine.runtime.Seq2SeqGenerator;
import dev.strata.engine.runtime.TokenFeed;
import dev.strata.tests.ops.DeviceCase;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class Seq2SeqPipelinedTest {
    static final int STEPS = 12;
    /** A source the t5 fixture answers with EOS (1) at once, greedy; then pad (0). */
    static final int[] FIRST_SOURCE = {69, 147, 398, 358};
    static final int T5_EOS = 1, T5_PAD = 0;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (DeviceCase d : DeviceCase.all()) for (String model : List.of("t5", "marian")) out.add(Arguments.of(d, model));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void pipelinedIdsEqualTheSynchronousLoop(DeviceCase device, String model) throws Exception {
        try (LoadedModel m = LoadedModel.open(Seq2SeqCrossKvTest.fixture(model)); ComputeDevice d = device.open();
             Seq2SeqEngine engine = new Seq2SeqEngine(m, d, 2, 16)) {
            Seq2SeqGenerator gen = new Seq2SeqGenerator(engine);
            gen.generate(List.of(FIRST_SOURCE, new int[] {5, 6, 7, 8, 9}), STEPS, false);
            for (boolean stopAtEos : new boolean[] {false, true}) {
                Seq2SeqGenerator.Result sync = gen.decode(STEPS, true, stopAtEos);
                float[] syncNext = stopAtEos ? null : nextLogits(engine, sync.ids());
                Seq2SeqGenerator.Result piped = gen.decode(STEPS, false, stopAtEos);
                assertArrayEquals(sync.ids(), piped.ids(), device + " " + model + " stopAtEos " + stopAtEos);
                if (!stopAtEos) { // the decoder caches hold the same fed tokens, which ids alone may not show (these models repeat a token)
                    assertArrayEquals(syncNext, nextLogits(engine, piped.ids()), 1e-6f, device + " " + model + " logits of the step after");
                }
                assertEquals(0, piped.logits().length, "no logits kept");
                assertEquals(sync.ids()[0].length - 1, sync.logits().length);
                if (stopAtEos && model.equals("t5")) { // row 0 is done after its first token: pad from then on, fed differently by the two loops
                    int[] row = piped.ids()[0];
                    assertEquals(T5_EOS, row[1], "t5 row 0 draws EOS first");
                    for (int i = 2; i < row.length; i++) assertEquals(T5_PAD, row[i], "t5 row 0 is padded after EOS");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("devices")
    void aStopLeavesTheDecoderCacheAsTheSynchronousLoopDoes(DeviceCase device) throws Exception {
        try (LoadedModel m = LoadedModel.open(Seq2SeqCrossKvTest.fixture("t5")); ComputeDevice d = device.open();
             Seq2SeqEngine engine = new Seq2SeqEngine(m, d, 1, 16)) {
            Seq2SeqGenerator gen = new Seq2SeqGenerator(engine);
            gen.generate(List.of(FIRST_SOURCE), STEPS, true);
            int[][] sync = gen.decode(STEPS, true, true).ids();
            assertArrayEquals(new int[][] {{engine.config().decoderStartTokenId(), T5_EOS}}, sync, "every row done after one token");
            assertEquals(1, engine.kv().length(0), "the synchronous loop ran one step");
            assertArrayEquals(sync, gen.decode(STEPS, false, true).ids());
            assertEquals(1, engine.kv().length(0), "the cache holds the one step whose token was kept, not the step run past the stop");
        }
    }

    static Stream<DeviceCase> devices() { return DeviceCase.all().stream(); }

    /** The logits of one more decoder step fed each row's last id, over the cache a decode left. */
    static float[] nextLogits(Seq2SeqEngine engine, int[][] ids) {
        int[] last = new int[ids.length];
        for (int b = 0; b < ids.length; b++) last[b] = ids[b][ids[b].length - 1];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate((long) ids.length * engine.config().vocabSize() * Float.BYTES, 64);
            engine.step(last, 1, ForwardOptions.GENERATE).readInto("logits", buf);
            return buf.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void enqueueRefusesAmbiguousOrMisSizedTokens(DeviceCase device, String model) throws Exception {
        try (LoadedModel m = LoadedModel.open(Seq2SeqCrossKvTest.fixture(model)); ComputeDevice d = device.open();
             Seq2SeqEngine engine = new Seq2SeqEngine(m, d, 2, 16); TokenFeed feed = new TokenFeed(d, 1, 2)) {
            engine.encode(new int[] {5, 6, 7, 8, 9, 10, 11, 12, 0, 0}, new int[] {5, 3}, 5);
            int start = engine.config().decoderStartTokenId();
            IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                    () -> engine.enqueue(new int[] {start, start}, feed.tokens(0), 1, ForwardOptions.ARGMAX));
            assertTrue(both.getMessage().contains("exactly one"), both.getMessage());
            IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () -> engine.enqueue(null, feed.tokens(0), 1, ForwardOptions.ARGMAX));
            assertTrue(size.getMessage().contains("1 target tokens for 2 sequences of 1; expected 2"), size.getMessage());
        }
    }
}
