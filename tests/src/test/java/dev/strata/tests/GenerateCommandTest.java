// `strata generate` and the Seq2SeqGenerator API on the encoder-decoder fixtures: the greedy ids
// match transformers' generated_ids (sources given unpadded, one per row or as a ragged batch
// padded by the API), bad input fails with a message naming what was expected, and inspect
// summarises an encoder-decoder config.
package dev.strata.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.backend.BackendOptions;
import dev.strata.engine.backend.Backends;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.runtime.Seq2SeqEngine;
import dev.strata.engine.runtime.Seq2SeqGenerator;
import dev.strata.loader.SafetensorsFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GenerateCommandTest {
    /** The fixture's source rows without their padding, and its expected generated ids. */
    record Case(List<int[]> sources, int[][] generated) {
        static Case of(String model) throws Exception {
            try (SafetensorsFile exp = SafetensorsFile.open(Fixtures.model(model).resolve("expected.safetensors"))) {
                double[] ids = Fixtures.doubles(exp, "input_ids"), mask = Fixtures.doubles(exp, "attention_mask"), gen = Fixtures.doubles(exp, "generated_ids");
                int batch = (int) exp.info("input_ids").dim(0), len = (int) exp.info("input_ids").dim(1), n = (int) exp.info("generated_ids").dim(1);
                List<int[]> sources = new ArrayList<>();
                int[][] generated = new int[batch][n];
                for (int b = 0; b < batch; b++) {
                    int real = 0;
                    while (real < len && mask[b * len + real] == 1) real++;
                    int[] s = new int[real];
                    for (int i = 0; i < real; i++) s[i] = (int) ids[b * len + i];
                    sources.add(s);
                    for (int i = 0; i < n; i++) generated[b][i] = (int) gen[b * n + i];
                }
                return new Case(sources, generated);
            }
        }
    }

    static String csv(int[] ids) { return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(",")); }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"t5", "marian"})
    void cliMatchesTransformersRowByRow(String model) throws Exception {
        Case c = Case.of(model);
        for (int b = 0; b < c.sources().size(); b++) {
            CliTest.Result r = CliTest.run("generate", "--model", Fixtures.model(model).toString(), "--input-ids", csv(c.sources().get(b)),
                    "--max-new-tokens", Integer.toString(c.generated()[b].length - 1), "--no-eos-stop", "--backend", "cpu");
            assertEquals(0, r.code(), r.err());
            assertEquals(csv(c.generated()[b]), r.out().strip(), model + " row " + b);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"t5", "marian"})
    void apiPadsARaggedBatch(String model) throws Exception {
        Case c = Case.of(model);
        assertNotEquals(c.sources().get(0).length, c.sources().get(1).length, "the fixture's rows differ in length");
        try (LoadedModel m = LoadedModel.open(Fixtures.model(model));
             ComputeDevice dev = Backends.select("cpu").open(new BackendOptions(null, false, 0));
             Seq2SeqEngine engine = new Seq2SeqEngine(m, dev, 2, 16)) {
            Seq2SeqGenerator.Result r = new Seq2SeqGenerator(engine).generate(c.sources(), c.generated()[0].length - 1, false);
            assertArrayEquals(c.generated(), r.ids());
        }
    }

    @Test
    void inspectDescribesAnEncoderDecoder() {
        CliTest.Result r = CliTest.run("inspect", Fixtures.model("t5").toString(), "--limit", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(encoder-decoder): d_model 64, layers 2 encoder / 2 decoder") && r.out().contains("relative (32 buckets"), r.out());
    }

    @Test
    void badInputIsRejectedWithWhatWasExpected() {
        String t5 = Fixtures.model("t5").toString(), marian = Fixtures.model("marian").toString();
        expectError(List.of("--model", t5, "--input-ids", "1,2,3;4,5"), "ragged", "same number of ids");
        expectError(List.of("--model", t5, "--input-ids", "1,512"), "512", "vocabulary size 512");
        expectError(List.of("--model", t5, "--input-ids", "1,x"), "'x'", "token id");
        expectError(List.of("--model", t5, "--input-ids", "1,2", "--max-new-tokens", "-1"), "-1", ">= 0");
        String tooLong = csv(new int[129]);
        expectError(List.of("--model", marian, "--input-ids", tooLong), "129 ids", "128 positions");
        expectError(List.of("--model", Fixtures.model("llama-gqa").toString(), "--input-ids", "1,2"), "not an encoder-decoder", "t5 and marian");
    }

    private static void expectError(List<String> args, String... fragments) {
        List<String> all = new ArrayList<>(List.of("generate", "--backend", "cpu"));
        all.addAll(args);
        CliTest.Result r = CliTest.run(all.toArray(String[]::new));
        assertNotEquals(0, r.code(), "expected failure for " + args);
        for (String f : fragments) assertTrue(r.err().contains(f), "'" + f + "' missing from: " + r.err());
    }
}
