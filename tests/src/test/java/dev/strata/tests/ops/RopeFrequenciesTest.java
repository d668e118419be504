// RoPE inverse frequencies (RopeFrequencies.compute) against the published formulas, computed
// independently here: θ^(−2i/d); linear scaling divides by the factor; llama3 scaling (Meta's
// apply_scaling, HF _compute_llama3_parameters) keeps high frequencies, divides low ones by the
// factor and blends the band between the two wavelength cut-offs.
package dev.strata.tests.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.model.RopeFrequencies;
import dev.strata.loader.HfConfig.RopeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RopeFrequenciesTest {
    /** The frequencies are floats computed from double: within a float rounding or two. */
    private static final double RELATIVE = 3e-7;

    /** Meta's llama3 apply_scaling, per frequency. */
    static double llama3(double freq, double factor, double low, double high, double oldContext) {
        double lowWavelen = oldContext / low, highWavelen = oldContext / high;
        double wavelen = 2 * Math.PI / freq;
        if (wavelen < highWavelen) return freq;
        if (wavelen > lowWavelen) return freq / factor;
        double smooth = (oldContext / wavelen - low) / (high - low);
        return (1 - smooth) * freq / factor + smooth * freq;
    }

    static void assertClose(double expected, float actual, String what) {
        assertTrue(Math.abs(actual - expected) <= RELATIVE * Math.abs(expected), () -> what + ": " + actual + "; expected " + expected);
    }

    @ParameterizedTest(name = "llama3 factor {0} low {1} high {2} original {3}, {4} dims")
    @CsvSource({"8, 1, 4, 8192, 128", "32, 1, 4, 8192, 64", "8, 1, 4, 8192, 32", "16, 2, 8, 4096, 128"})
    void llama3Scaling(double factor, double low, double high, int original, int dims) {
        double theta = 500000;
        float[] inv = RopeFrequencies.compute(new RopeConfig(theta, "llama3", factor, low, high, original, 1), dims);
        assertEquals(dims / 2, inv.length);
        int kept = 0, divided = 0, blended = 0;
        for (int i = 0; i < inv.length; i++) {
            double f = 1 / Math.pow(theta, 2.0 * i / dims);
            double expected = llama3(f, factor, low, high, original);
            assertClose(expected, inv[i], "inv_freq[" + i + "]");
            if (expected == f) kept++;
            else if (expected == f / factor) divided++;
            else blended++;
        }
        if (dims >= 64) assertTrue(kept > 0 && divided > 0 && blended > 0, "the config exercises all three bands: " + kept + "/" + blended + "/" + divided);
    }

    @Test
    void defaultAndLinear() {
        float[] plain = RopeFrequencies.compute(new RopeConfig(10000, "default", 1, 1, 4, 0, 1), 64);
        float[] linear = RopeFrequencies.compute(new RopeConfig(10000, "linear", 4, 1, 4, 0, 1), 64);
        for (int i = 0; i < 32; i++) {
            double f = Math.pow(10000, -i / 32.0);
            assertClose(f, plain[i], "default inv_freq[" + i + "]");
            assertClose(f / 4, linear[i], "linear inv_freq[" + i + "]");
        }
    }

    @Test
    void unsupportedTypeIsNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> RopeFrequencies.compute(new RopeConfig(10000, "yarn", 4, 1, 4, 4096, 1), 64));
        assertTrue(e.getMessage().contains("'yarn'"), e.getMessage());
    }
}
