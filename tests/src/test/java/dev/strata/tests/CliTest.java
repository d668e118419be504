// The strata command's contracts, run in-process: devices always exits 0 and explains every
// unavailable backend; inspect summarises a model; eval rejects models and inputs it cannot run
// with a non-zero exit and a message saying why; run generates with a generated model; bench
// --sample times a device-sampling loop, and malformed sampling options are refused.
package dev.strata.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.cli.Main;
import dev.strata.engine.model.RandomLlama;
import dev.strata.loader.SafetensorsDtype;
import dev.strata.loader.SafetensorsWriter;
import dev.strata.loader.WritableTensor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void devicesListsEveryBackendAndExitsZero() {
        Result r = run("devices");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("cpu: available"), r.out());
        assertTrue(r.out().contains("cuda: "), r.out());
    }

    @Test
    void inspectSummarisesAModel() {
        Result r = run("inspect", Fixtures.model("llama-gqa").toString(), "--limit", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("model_type llama"), r.out());
        assertTrue(r.out().contains("parameters"), r.out());
        assertTrue(r.out().contains("more (use --limit 0)"), r.out());
    }

    @Test
    void evalOfAnEncoderRejectsGenerationAndAllPaddingRows(@TempDir Path tmp) throws Exception {
        Path bert = Fixtures.model("bert");
        Result r = run("eval", "--model", bert.toString(), "--inputs", bert.resolve("expected.safetensors").toString(),
                "--out", tmp.resolve("o.safetensors").toString(), "--backend", "cpu", "--generate", "2");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("--generate needs a decoder") && r.err().contains("bert"), r.err());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ids = arena.allocate(2 * 3 * 8), mask = arena.allocate(2 * 3 * 8);
            for (int i = 0; i < 6; i++) {
                ids.setAtIndex(ValueLayout.JAVA_LONG, i, 5 + i);
                mask.setAtIndex(ValueLayout.JAVA_LONG, i, i < 3 ? 1 : 0);
            }
            SafetensorsWriter.write(tmp.resolve("empty-row.safetensors"), Map.of("input_ids", new WritableTensor(SafetensorsDtype.I64, new long[] {2, 3}, ids),
                    "attention_mask", new WritableTensor(SafetensorsDtype.I64, new long[] {2, 3}, mask)), Map.of());
        }
        r = run("eval", "--model", bert.toString(), "--inputs", tmp.resolve("empty-row.safetensors").toString(), "--out", tmp.resolve("o").toString(), "--backend", "cpu");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("sequence 1 is entirely padding"), r.err());
    }

    @Test
    void evalRejectsInputsWithoutInputIdsAndPaddedDecoderBatches(@TempDir Path tmp) throws Exception {
        Path model = Fixtures.model("llama-gqa");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ids = arena.allocate(2 * 3 * 8);
            for (int i = 0; i < 6; i++) ids.setAtIndex(ValueLayout.JAVA_LONG, i, 5 + i);
            MemorySegment mask = arena.allocate(2 * 3 * 8);
            for (int i = 0; i < 6; i++) mask.setAtIndex(ValueLayout.JAVA_LONG, i, i == 5 ? 0 : 1);
            SafetensorsWriter.write(tmp.resolve("no-ids.safetensors"), Map.of("tokens", new WritableTensor(SafetensorsDtype.I64, new long[] {2, 3}, ids)), Map.of());
            SafetensorsWriter.write(tmp.resolve("padded.safetensors"), Map.of("input_ids", new WritableTensor(SafetensorsDtype.I64, new long[] {2, 3}, ids),
                    "attention_mask", new WritableTensor(SafetensorsDtype.I64, new long[] {2, 3}, mask)), Map.of());
        }
        Result r = run("eval", "--model", model.toString(), "--inputs", tmp.resolve("no-ids.safetensors").toString(), "--out", tmp.resolve("o").toString());
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("input_ids"), r.err());
        r = run("eval", "--model", model.toString(), "--inputs", tmp.resolve("padded.safetensors").toString(), "--out", tmp.resolve("o").toString(), "--backend", "cpu");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("padding"), r.err());
    }

    @Test
    void evalRejectsAPromptLongerThanTheContext(@TempDir Path tmp) throws Exception {
        Path model = Fixtures.model("gpt2");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ids = arena.allocate(1 * 200 * 8);
            for (int i = 0; i < 200; i++) ids.setAtIndex(ValueLayout.JAVA_LONG, i, 7);
            SafetensorsWriter.write(tmp.resolve("long.safetensors"), Map.of("input_ids", new WritableTensor(SafetensorsDtype.I64, new long[] {1, 200}, ids)), Map.of());
        }
        Result r = run("eval", "--model", model.toString(), "--inputs", tmp.resolve("long.safetensors").toString(), "--out", tmp.resolve("o").toString(), "--backend", "cpu");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("context of 128"), r.err());
    }

    @Test
    void runGeneratesFromAGeneratedModel(@TempDir Path tmp) throws Exception {
        RandomLlama.Spec spec = new RandomLlama.Spec("cli-test", 64, 2, 4, 2, 128, 300, 64, false, SafetensorsDtype.F32, true);
        RandomLlama.write(tmp, spec, 3);
        Result r = run("run", "--model", tmp.toString(), "--prompt", "hello", "--max-tokens", "5", "--backend", "cpu", "--seed", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("hello"), r.out());
        assertTrue(r.err().contains("generation: "), r.err());
        Result again = run("run", "--model", tmp.toString(), "--prompt", "hello", "--max-tokens", "5", "--backend", "cpu", "--seed", "1");
        assertEquals(r.out(), again.out(), "same seed, same text");
        Result tooLong = run("run", "--model", tmp.toString(), "--prompt", "hello", "--max-tokens", "100", "--backend", "cpu");
        assertNotEquals(0, tooLong.code());
        assertTrue(tooLong.err().contains("exceeds the model's context of 64"), tooLong.err());
    }

    /** bench --sample runs tg as a device-sampling loop (tg4+sample; tg4+greedy for an argmax draw) on a given model; malformed --sample and --min-p are refused, naming the format. */
    @Test
    void benchSamplesOnTheDeviceAndBadSamplingOptionsAreRefused(@TempDir Path tmp) throws Exception {
        RandomLlama.Spec spec = new RandomLlama.Spec("cli-bench-test", 64, 2, 4, 2, 128, 300, 64, false, SafetensorsDtype.F32, true);
        RandomLlama.write(tmp, spec, 4);
        Result r = run("bench", "--model", tmp.toString(), "--backend", "cpu", "-p", "0", "-n", "4", "-r", "1", "--sample", "0.8,40,0.95,0.05");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("| tg4+sample |"), r.out());
        Result greedy = run("bench", "--model", tmp.toString(), "--backend", "cpu", "-p", "0", "-n", "4", "-r", "1", "--sample", "0,0,1");
        assertEquals(0, greedy.code(), greedy.err());
        assertTrue(greedy.out().contains("| tg4+greedy |"), "Generator's greedy loop is labelled so: " + greedy.out());
        Result profiled = run("bench", "--model", tmp.toString(), "--backend", "cpu", "-p", "0", "-n", "4", "-r", "1", "--profile");
        assertEquals(0, profiled.code(), profiled.err());
        assertTrue(profiled.out().contains("| op | count | µs isolated | µs in step | share of step |"), profiled.out());
        assertTrue(profiled.out().lines().anyMatch(l -> l.startsWith("| MATMUL | 9 | ")), "2 layers × 4 matmuls + the head: " + profiled.out());
        assertTrue(profiled.out().lines().anyMatch(l -> l.startsWith("| qkv | 2 | ")), "per role, both layers summed: " + profiled.out());
        Result malformed = run("bench", "--model", tmp.toString(), "--backend", "cpu", "-p", "0", "-n", "4", "--sample", "0.8,x,0.9");
        assertNotEquals(0, malformed.code());
        assertTrue(malformed.err().contains("expected temperature,top-k,top-p[,min-p]"), malformed.err());
        assertTrue(malformed.out().isEmpty(), "refused before any table: " + malformed.out());
        Result minP = run("run", "--model", tmp.toString(), "--prompt", "hello", "--max-tokens", "2", "--backend", "cpu", "--min-p", "1.5");
        assertNotEquals(0, minP.code());
        assertTrue(minP.err().contains("min-p 1.5 must be in [0, 1]"), minP.err());
    }
}
