// Conformance of RMSNorm and LayerNorm (with and without bias; F32, F16 and BF16 weights) on
// every backend and mode, against plain double implementations written here. Rows include an
// all-zero row, a constant row (variance 0) and rows offset by +1000, where a one-pass float
// variance (E[x²] − E[x]²) cancels catastrophically.
package dev.strata.tests.ops;

import dev.strata.engine.graph.Tensor;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NormConformanceTest {
    private static final float EPS = 1e-5f;

    static Stream<Arguments> cases() {
        return OpHarness.cross(DeviceCase.all(), List.of(DType.F32, DType.F16, DType.BF16), ElementwiseConformanceTest.ROWS, ElementwiseConformanceTest.COLS);
    }

    /** Row 0 uniform, row 1 all zeros, row 2 constant, rows ≥ 3 alternate plain and offset by +1000. */
    static float[] input(int rows, int cols, long seed) {
        float[] x = OpHarness.uniform(new SplittableRandom(seed), rows * cols, -4, 4);
        for (int r = 1; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                x[i] = switch (r) {
                    case 1 -> 0f;
                    case 2 -> 2.5f;
                    default -> r % 2 == 0 ? x[i] + 1000f : x[i];
                };
            }
        }
        return x;
    }

    @ParameterizedTest(name = "{0} rms_norm {1} weight [{2}, {3}]")
    @MethodSource("cases")
    void rmsNorm(DeviceCase device, DType wDtype, int rows, int cols) {
        float[] x = input(rows, cols, 11);
        try (OpHarness h = new OpHarness()) {
            double[] w = h.weight("norm.weight", wDtype, new long[] {cols}, OpHarness.uniform(new SplittableRandom(12), cols, 0.5, 1.5));
            double[] expected = new double[x.length];
            for (int r = 0; r < rows; r++) {
                double ss = 0;
                for (int c = 0; c < cols; c++) ss += (double) x[r * cols + c] * x[r * cols + c];
                double inv = 1 / Math.sqrt(ss / cols + EPS);
                for (int c = 0; c < cols; c++) expected[r * cols + c] = x[r * cols + c] * inv * w[c];
            }
            var g = h.guarded(rows, cols, DType.F32, b -> b.rmsNorm(b.input("x", DType.F32, rows, cols), b.weight("norm.weight", 1, cols), EPS, "rms"));
            try (var s = h.open(device)) {
                HostTensor out = s.run(g, Map.of("x", h.f32(rows, cols, x)), null);
                Nmse.check(device + " rms_norm", OpHarness.values(out), expected, Nmse.limit(device, Nmse.ELEMENTWISE));
            }
        }
    }

    @ParameterizedTest(name = "{0} layer_norm {1} weight+bias [{2}, {3}]")
    @MethodSource("cases")
    void layerNorm(DeviceCase device, DType wDtype, int rows, int cols) {
        checkLayerNorm(device, wDtype, rows, cols, true);
    }

    @ParameterizedTest(name = "{0} layer_norm {1} weight, no bias [{2}, {3}]")
    @MethodSource("cases")
    void layerNormNoBias(DeviceCase device, DType wDtype, int rows, int cols) {
        checkLayerNorm(device, wDtype, rows, cols, false);
    }

    private static void checkLayerNorm(DeviceCase device, DType wDtype, int rows, int cols, boolean withBias) {
        float[] x = input(rows, cols, 13);
        try (OpHarness h = new OpHarness()) {
            double[] w = h.weight("ln.weight", wDtype, new long[] {cols}, OpHarness.uniform(new SplittableRandom(14), cols, 0.5, 1.5));
            double[] bias = withBias ? h.weight("ln.bias", wDtype, new long[] {cols}, OpHarness.uniform(new SplittableRandom(15), cols, -1, 1)) : new double[cols];
            double[] expected = new double[x.length];
            for (int r = 0; r < rows; r++) {
                double mean = 0, var = 0;
                for (int c = 0; c < cols; c++) mean += x[r * cols + c];
                mean /= cols;
                for (int c = 0; c < cols; c++) var += (x[r * cols + c] - mean) * (x[r * cols + c] - mean);
                double inv = 1 / Math.sqrt(var / cols + EPS);
                for (int c = 0; c < cols; c++) expected[r * cols + c] = (x[r * cols + c] - mean) * inv * w[c] + bias[c];
            }
            var g = h.guarded(rows, cols, DType.F32, b -> {
                Tensor bt = withBias ? b.weight("ln.bias", 1, cols) : null;
                return b.layerNorm(b.input("x", DType.F32, rows, cols), b.weight("ln.weight", 1, cols), bt, EPS, "ln");
            });
            try (var s = h.open(device)) {
                HostTensor out = s.run(g, Map.of("x", h.f32(rows, cols, x)), null);
                Nmse.check(device + " layer_norm", OpHarness.values(out), expected, Nmse.limit(device, Nmse.ELEMENTWISE));
            }
        }
    }
}
