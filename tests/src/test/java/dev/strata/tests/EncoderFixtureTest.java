// The BERT fixtures (BertModel with pooler; BertForSequenceClassification with a "bert." prefix)
// through `strata eval` on every available backend: last_hidden_state and every
// hidden_states.{i} at unpadded positions, pooler_output, mean_pooled and classifier logits
// within 1e-4 (max|a−b| / max|b|) of HF transformers' float64 outputs. Row 1 of each fixture is
// padded from position 6, so the padding mask is on the path.
package dev.strata.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.loader.SafetensorsFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EncoderFixtureTest {
    static final double TOLERANCE = 1e-4;

    static List<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Arguments backend : DecoderFixtureTest.backends()) {
            for (String model : List.of("bert", "bert-classifier")) out.add(Arguments.of(model, backend.get()[0], backend.get()[1]));
        }
        return out;
    }

    @ParameterizedTest(name = "{0} on {1} {2}")
    @MethodSource("cases")
    void matchesTransformers(String model, String backend, String mode, @TempDir Path tmp) throws Exception {
        Path dir = Fixtures.model(model);
        Path expected = dir.resolve("expected.safetensors"), out = tmp.resolve("out.safetensors");
        DecoderFixtureTest.eval(dir, expected, out, backend, mode, 0);
        try (SafetensorsFile exp = SafetensorsFile.open(expected); SafetensorsFile act = SafetensorsFile.open(out)) {
            double[] mask = Fixtures.doubles(exp, "attention_mask");
            assertTrue(Arrays.stream(mask).anyMatch(v -> v == 0), "the fixture should have padding");
            int compared = 0;
            for (String n : exp.tensors().keySet()) {
                if (!n.startsWith("hidden_states.") && !List.of("last_hidden_state", "pooler_output", "mean_pooled", "logits").contains(n)) continue;
                double[] a = Fixtures.doubles(act, n), e = Fixtures.doubles(exp, n);
                if (n.startsWith("hidden_states.") || n.equals("last_hidden_state")) {
                    a = unpadded(a, mask);
                    e = unpadded(e, mask);
                }
                double err = Fixtures.relError(a, e);
                System.out.printf("%s %s-%s %s rel.err %.2e%n", model, backend, mode, n, err);
                assertTrue(err <= TOLERANCE, model + " " + n + ": relative error " + err + " > " + TOLERANCE);
                compared++;
            }
            assertTrue(compared >= 4, "compared only " + compared + " tensors of " + expected);
        }
    }

    /** Keeps the rows of a [batch*seq, dim] tensor whose mask is 1. */
    static double[] unpadded(double[] x, double[] mask) {
        int dim = x.length / mask.length;
        List<Double> kept = new ArrayList<>();
        for (int r = 0; r < mask.length; r++) if (mask[r] == 1) for (int c = 0; c < dim; c++) kept.add(x[r * dim + c]);
        return kept.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
