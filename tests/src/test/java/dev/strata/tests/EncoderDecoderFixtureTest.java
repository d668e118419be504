// Both encoder-decoder fixtures (T5, Marian) through the project's own loader, engine and the
// `strata eval` path, on every available backend (CPU fast and reference; CUDA/OpenCL where
// present): logits, decoder_hidden_states.{i}, encoder_last_hidden_state and
// encoder_hidden_states.{i} within 1e-4 (max|a−b| / max|b|) of HF transformers' float64
// outputs — encoder outputs at the unpadded positions of attention_mask only, as padded rows are
// never read — generated_ids identical and generated_logits within 1e-4.
package dev.strata.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.loader.SafetensorsFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EncoderDecoderFixtureTest {
    static final double TOLERANCE = 1e-4;
    static final List<String> MODELS = List.of("t5", "marian");

    static List<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Arguments backend : BackendCases.all()) {
            for (String model : MODELS) out.add(Arguments.of(model, backend.get()[0], backend.get()[1]));
        }
        return out;
    }

    /** Rows [b, i, :] of a [batch, seq, width] tensor where mask[b, i] = 1, concatenated. */
    static double[] unpadded(double[] x, double[] mask, int width) {
        List<Double> kept = new ArrayList<>();
        for (int r = 0; r < mask.length; r++) {
            if (mask[r] == 1) for (int c = 0; c < width; c++) kept.add(x[r * width + c]);
        }
        return kept.stream().mapToDouble(Double::doubleValue).toArray();
    }

    @ParameterizedTest(name = "{0} on {1} {2}")
    @MethodSource("cases")
    void matchesTransformers(String model, String backend, String mode, @TempDir Path tmp) throws Exception {
        Path dir = Fixtures.model(model);
        Path expected = dir.resolve("expected.safetensors");
        Path out = tmp.resolve("out.safetensors");
        int generate;
        try (SafetensorsFile exp = SafetensorsFile.open(expected)) {
            generate = (int) exp.info("generated_ids").dim(1) - 1;
        }
        DecoderFixtureTest.eval(dir, expected, out, backend, mode, generate);
        try (SafetensorsFile exp = SafetensorsFile.open(expected); SafetensorsFile act = SafetensorsFile.open(out)) {
            double[] mask = Fixtures.doubles(exp, "attention_mask");
            int hidden = (int) exp.info("encoder_last_hidden_state").dim(2);
            List<String> names = new ArrayList<>(List.of("logits", "generated_logits", "encoder_last_hidden_state"));
            for (String n : exp.tensors().keySet()) if (n.contains("_hidden_states.")) names.add(n);
            assertEquals(9, names.size(), "expected 3 encoder and 3 decoder hidden states in " + expected + ": " + names);
            for (String n : names) {
                assertArrayEquals(exp.info(n).shape(), act.info(n).shape(), model + " " + n + " shape");
                double[] a = Fixtures.doubles(act, n), e = Fixtures.doubles(exp, n);
                if (n.startsWith("encoder_")) {
                    a = unpadded(a, mask, hidden);
                    e = unpadded(e, mask, hidden);
                }
                double err = Fixtures.relError(a, e);
                System.out.printf("%s %s-%s %s rel.err %.2e%n", model, backend, mode, n, err);
                assertTrue(err <= TOLERANCE, model + " " + n + ": relative error " + err + " > " + TOLERANCE);
            }
            assertArrayEquals(exp.info("generated_ids").shape(), act.info("generated_ids").shape(), model + " generated_ids shape");
            assertArrayEquals(Fixtures.doubles(exp, "generated_ids"), Fixtures.doubles(act, "generated_ids"), model + " generated_ids");
        }
    }
}
