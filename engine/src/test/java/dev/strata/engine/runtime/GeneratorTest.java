// Generator on a tiny random Llama (RandomLlama, hidden 64, 2 layers, 4 heads / 2 KV heads,
// vocab 300, 64 positions) on the CPU reference device: greedy decoding stops at max tokens, on
// a stop id and on EOS (generation_config's id, rewritten to a token the model will emit), or
// when the listener cancels; streamed tokens equal the result; an over-long prompt or empty
// prompt is refused before any work; and each KV-cached decode step picks the same token as a
// fresh full-sequence forward pass. Sampled generation draws on the device exactly what the host
// Sampler draws from the same logits (also where the device lacks the op and the host draws), and
// malformed sampling rows are refused before a step.
package dev.strata.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.backend.Bindings;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.backend.DeviceBuffer;
import dev.strata.engine.backend.Support;
import dev.strata.engine.cpu.CpuDevice;
import dev.strata.engine.exec.GraphExecutor;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.kv.KvStorage;
import dev.strata.engine.model.ForwardOptions;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.model.RandomLlama;
import dev.strata.engine.ops.Op;
import dev.strata.engine.ops.Sample;
import dev.strata.engine.tensor.DType;
import dev.strata.loader.SafetensorsDtype;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratorTest {
    static final RandomLlama.Spec SPEC = new RandomLlama.Spec("strata-generator-test", 64, 2, 4, 2, 128, 300, 64, false, SafetensorsDtype.F32, true);
    static final int CAPACITY = 48, MAX = 12;
    static final int[] PROMPT = {1, 17, 250, 33, 4, 99, 120};

    @TempDir static Path dir;
    static LoadedModel model;
    static CpuDevice device;
    static DecoderEngine engine;
    /** Greedy continuation of PROMPT with no stops: the reference the stop tests cut. */
    static List<Integer> free;

    @BeforeAll
    static void setUp() throws IOException {
        RandomLlama.write(dir, SPEC, 7);
        model = LoadedModel.open(dir);
        device = new CpuDevice(true, 1);
        engine = new DecoderEngine(model, device, 1, CAPACITY);
        free = new Generator(engine).generate(PROMPT, new SamplingParams(0, 0, 1, 0, 0, MAX, List.of(), false), t -> true).tokens();
        assertEquals(MAX, free.size());
    }

    @AfterAll
    static void tearDown() {
        engine.close();
        device.close();
        model.close();
    }

    static SamplingParams greedy(int max, List<Integer> stops, boolean stopOnEos) {
        return new SamplingParams(0, 0, 1, 0, 0, max, stops, stopOnEos);
    }

    /** free up to and including the first token in stops. */
    static List<Integer> cutAtFirst(Set<Integer> stops) {
        for (int i = 0; i < free.size(); i++) if (stops.contains(free.get(i))) return free.subList(0, i + 1);
        throw new AssertionError("no stop token in " + free);
    }

    @Test
    void stopsAtMaxTokensAndStreamsEveryToken() {
        List<Integer> streamed = new ArrayList<>();
        Generator.Result r = new Generator(engine).generate(PROMPT, greedy(5, List.of(), false), t -> streamed.add(t));
        assertEquals(Generator.StopReason.MAX_TOKENS, r.stop());
        assertEquals(free.subList(0, 5), r.tokens(), "same greedy tokens on a rerun (the cache is reset per generation)");
        assertEquals(r.tokens(), streamed);
        assertEquals(PROMPT.length, r.promptTokens());
        assertEquals(0, new Generator(engine).generate(PROMPT, greedy(0, List.of(), true), t -> true).tokens().size());
    }

    @Test
    void stopsOnAStopToken() {
        int stop = free.get(3);
        Generator.Result r = new Generator(engine).generate(PROMPT, greedy(MAX, List.of(stop, 299), false), t -> true);
        assertEquals(Generator.StopReason.STOP_TOKEN, r.stop());
        assertEquals(cutAtFirst(Set.of(stop, 299)), r.tokens());
        assertEquals(stop, r.tokens().getLast());
    }

    @Test
    void stopsOnEosUnlessTold(@TempDir Path eosDir) throws IOException {
        int eos = free.get(2);
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) Files.copy(f, eosDir.resolve(f.getFileName()));
        }
        Files.writeString(eosDir.resolve("generation_config.json"), "{\"bos_token_id\": 1, \"eos_token_id\": [" + eos + ", 298]}\n");
        try (LoadedModel m = LoadedModel.open(eosDir); DecoderEngine e = new DecoderEngine(m, device, 1, CAPACITY)) {
            assertEquals(List.of(eos, 298), m.eosTokenIds());
            Generator.Result r = new Generator(e).generate(PROMPT, greedy(MAX, List.of(), true), t -> true);
            assertEquals(Generator.StopReason.EOS, r.stop());
            assertEquals(cutAtFirst(Set.of(eos, 298)), r.tokens());
            Generator.Result ignored = new Generator(e).generate(PROMPT, greedy(MAX, List.of(), false), t -> true);
            assertEquals(Generator.StopReason.MAX_TOKENS, ignored.stop());
            assertEquals(free, ignored.tokens());
        }
    }

    @Test
    void listenerCancels() {
        Generator.Result r = new Generator(engine).generate(PROMPT, greedy(MAX, List.of(), false), t -> false);
        assertEquals(Generator.StopReason.CANCELLED, r.stop());
        assertEquals(free.subList(0, 1), r.tokens());
    }

    @Test
    void overLongAndEmptyPromptsAreRefused() {
        int[] longPrompt = new int[CAPACITY - 4];
        var e = assertThrows(IllegalArgumentException.class, () -> new Generator(engine).generate(longPrompt, greedy(5, List.of(), true), t -> true));
        assertEquals("prompt of 44 tokens + 5 new tokens exceeds the context of 48 tokens", e.getMessage());
        // exactly at capacity is fine
        assertEquals(4, new Generator(engine).generate(longPrompt, greedy(4, List.of(), false), t -> true).tokens().size());
        var empty = assertThrows(IllegalArgumentException.class, () -> new Generator(engine).generate(new int[0], greedy(5, List.of(), true), t -> true));
        assertTrue(empty.getMessage().contains("prompt is empty"), empty.getMessage());
        var ctx = assertThrows(IllegalArgumentException.class, () -> new DecoderEngine(model, device, 1, 65));
        assertEquals("65 tokens per sequence exceed the model's context of 64", ctx.getMessage());
    }

    @Test
    void sampledGenerationRepeatsForASeed() {
        SamplingParams p = new SamplingParams(0.9f, 40, 0.95f, 0, 1234, MAX, List.of(), false);
        List<Integer> a = new Generator(engine).generate(PROMPT, p, t -> true).tokens();
        List<Integer> b = new Generator(engine).generate(PROMPT, p, t -> true).tokens();
        assertEquals(a, b);
        assertTrue(a.stream().allMatch(t -> t >= 0 && t < SPEC.vocab()), a::toString);
    }

    /** Token k of the cached greedy decode = argmax of a full forward pass over prompt + tokens[0..k). */
    @Test
    void cachedDecodeMatchesFullRecompute() {
        int vocab = SPEC.vocab();
        try (DecoderEngine fresh = new DecoderEngine(model, device, 1, CAPACITY); Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate((long) vocab * Float.BYTES);
            float[] logits = new float[vocab];
            int checked = 0;
            for (int k = 0; k < free.size(); k++) {
                int[] seq = new int[PROMPT.length + k];
                System.arraycopy(PROMPT, 0, seq, 0, PROMPT.length);
                for (int i = 0; i < k; i++) seq[PROMPT.length + i] = free.get(i);
                fresh.kv().reset(0);
                GraphExecutor ex = fresh.step(seq, new int[] {0}, seq.length, ForwardOptions.GENERATE);
                ex.readInto("logits", buf);
                MemorySegment.copy(buf, ValueLayout.JAVA_FLOAT, 0, logits, 0, vocab);
                int best = Sampler.argmax(logits);
                float second = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < vocab; i++) if (i != best) second = Math.max(second, logits[i]);
                if (logits[best] - second > 1e-5f) {
                    assertEquals(best, (int) free.get(k), "token " + k);
                    checked++;
                }
            }
            assertTrue(checked >= free.size() / 2, "only " + checked + " tokens had a clear argmax");
        }
    }

    /** Draws on the device (the Sample op) are the host Sampler's draws on the same steps' logits: same seed, step k for token k. */
    @Test
    void sampledTokensAreTheHostSamplersDraws() {
        SamplingParams p = new SamplingParams(1.1f, 50, 0.9f, 0.01f, 77, MAX, List.of(), false);
        List<Integer> drawn = new Generator(engine).generate(PROMPT, p, t -> true).tokens();
        int vocab = SPEC.vocab();
        Sampler host = new Sampler(p);
        try (DecoderEngine replay = new DecoderEngine(model, device, 1, CAPACITY); Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate((long) vocab * Float.BYTES);
            float[] logits = new float[vocab];
            int[] feed = PROMPT;
            for (int k = 0; k < drawn.size(); k++) {
                replay.step(feed, new int[] {0}, feed.length, ForwardOptions.GENERATE).readInto("logits", buf);
                MemorySegment.copy(buf, ValueLayout.JAVA_FLOAT, 0, logits, 0, vocab);
                assertEquals(host.sample(logits), (int) drawn.get(k), "token " + k);
                feed = new int[] {drawn.get(k)};
            }
        }
        assertTrue(drawn.stream().distinct().count() > 1, () -> "a sampled run repeats one token: " + drawn);
    }

    @Test
    void malformedSamplingRowsAreRefusedBeforeAStep() {
        int[] one = {5};
        var missing = assertThrows(IllegalArgumentException.class, () -> engine.step(one, new int[] {0}, 1, ForwardOptions.SAMPLE));
        assertEquals("sampling params of null; expected 1 rows of 7 (SamplingParams.pack)", missing.getMessage());
        var unwanted = assertThrows(IllegalArgumentException.class, () -> engine.step(one, new int[] {0}, 1, ForwardOptions.GENERATE, new int[7]));
        assertTrue(unwanted.getMessage().contains("the options do not sample"), unwanted.getMessage());
        int[] row = new int[7];
        SamplingParams.greedy(1).pack(0, row, 0);
        row[2] = 0;
        var topP = assertThrows(IllegalArgumentException.class, () -> engine.step(one, new int[] {0}, 1, ForwardOptions.SAMPLE, row));
        assertEquals("sampling row 0: top-p 0.0 must be in (0, 1]", topP.getMessage());
        SamplingParams.greedy(1).pack(0, row, 0);
        row[0] = Float.floatToRawIntBits(Float.NaN);
        var t = assertThrows(IllegalArgumentException.class, () -> engine.step(one, new int[] {0}, 1, ForwardOptions.SAMPLE, row));
        assertEquals("sampling row 0: temperature NaN must be finite and >= 0", t.getMessage());
        var minP = assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 0, 1, 1.5f, 0, 1, List.of(), true));
        assertEquals("min-p 1.5 must be in [0, 1]", minP.getMessage());
    }

    /** A device without the Sample op: Generator copies the logits back and draws with Sampler, the same tokens. */
    @Test
    void withoutTheSampleOpTheHostDrawsTheSameTokens() {
        SamplingParams p = new SamplingParams(0.9f, 0, 0.95f, 0, 5, MAX, List.of(), false);
        List<Integer> onDevice = new Generator(engine).generate(PROMPT, p, t -> true).tokens();
        assertTrue(engine.samplesOnDevice());
        try (NoSampleDevice dev = new NoSampleDevice(); DecoderEngine e = new DecoderEngine(model, dev, 1, CAPACITY)) {
            assertFalse(e.samplesOnDevice());
            assertEquals(onDevice, new Generator(e).generate(PROMPT, p, t -> true).tokens());
        }
    }

    /** The CPU reference device, refusing the Sample op as an OpenCL device without 64-bit local atomics does. */
    static final class NoSampleDevice implements ComputeDevice {
        final CpuDevice cpu = new CpuDevice(true, 1);

        public String description() { return "no-sample " + cpu.description(); }
        public Support supports(Op op) { return op instanceof Sample ? Support.no("no Sample op here") : cpu.supports(op); }
        public DeviceBuffer allocate(long bytes, String purpose) { return cpu.allocate(bytes, purpose); }
        public DeviceBuffer uploadWeight(String name, DType dtype, MemorySegment host) { return cpu.uploadWeight(name, dtype, host); }
        public void write(DeviceBuffer dst, long off, MemorySegment src) { cpu.write(dst, off, src); }
        public void read(DeviceBuffer src, long off, MemorySegment dst) { cpu.read(src, off, dst); }
        public void launch(Op op, Bindings b) { cpu.launch(op, b); }
        public void synchronize() { cpu.synchronize(); }
        public KvStorage allocateKv(KvSpec spec) { return cpu.allocateKv(spec); }
        public void close() { cpu.close(); }
    }
}
