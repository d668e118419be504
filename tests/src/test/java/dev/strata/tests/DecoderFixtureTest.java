// Every decoder fixture through the project's own loader, engine and `strata eval` path:
// logits and every hidden_states.{i} within 1e-4 (max|a−b| / max|b|) of HF transformers'
// float64 outputs, and generated_ids identical — on the CPU backend in fast and reference mode.
package dev.strata.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.cli.Main;
import dev.strata.loader.SafetensorsFile;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DecoderFixtureTest {
    static final double TOLERANCE = 1e-4;

    static List<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String model : List.of("llama-gqa", "llama-mqa", "llama-gqa-bf16", "qwen2", "gpt2", "llama-256")) {
            out.add(Arguments.of(model, "fast"));
            out.add(Arguments.of(model, "reference"));
        }
        return out;
    }

    @ParameterizedTest(name = "{0} on cpu {1}")
    @MethodSource("cases")
    void matchesTransformers(String model, String mode, @TempDir Path tmp) throws Exception {
        Path dir = Fixtures.model(model);
        Path expected = dir.resolve("expected.safetensors");
        Path out = tmp.resolve("out.safetensors");
        int generate;
        try (SafetensorsFile exp = SafetensorsFile.open(expected)) {
            generate = (int) (exp.info("generated_ids").dim(1) - exp.info("input_ids").dim(1));
        }
        List<String> args = new ArrayList<>(List.of("eval", "--model", dir.toString(), "--inputs", expected.toString(),
                "--out", out.toString(), "--backend", "cpu", "--generate", Integer.toString(generate)));
        if (mode.equals("reference")) args.add("--reference");
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(args.toArray(String[]::new));
        assertEquals(0, rc, "strata eval failed: " + err);

        try (SafetensorsFile exp = SafetensorsFile.open(expected); SafetensorsFile act = SafetensorsFile.open(out)) {
            List<String> names = new ArrayList<>(List.of("logits"));
            for (String n : exp.tensors().keySet()) if (n.startsWith("hidden_states.")) names.add(n);
            assertTrue(names.size() > 2, "expected hidden states in " + expected);
            for (String n : names) {
                double e = Fixtures.relError(Fixtures.doubles(act, n), Fixtures.doubles(exp, n));
                System.out.printf("%s cpu-%s %s rel.err %.2e%n", model, mode, n, e);
                assertTrue(e <= TOLERANCE, model + " " + n + ": relative error " + e + " > " + TOLERANCE);
            }
            assertArrayEquals(Fixtures.doubles(exp, "generated_ids"), Fixtures.doubles(act, "generated_ids"), model + " generated_ids");
            double g = Fixtures.relError(Fixtures.doubles(act, "generated_logits"), Fixtures.doubles(exp, "generated_logits"));
            assertTrue(g <= TOLERANCE, model + " generated_logits: relative error " + g);
        }
    }
}
