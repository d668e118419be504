// Conformance of the elementwise F32 ops — softmax, activations (SILU, GELU_ERF, GELU_TANH,
// RELU), gated activations, add (full and row-broadcast) and scale — on every backend and mode,
// over odd and tail shapes, against plain double implementations written here. Inputs carry
// boundary values: ±0, tiny and large magnitudes, -inf in softmax rows, rows of ±800 that
// overflow exp() unless the kernel subtracts the row maximum.
package dev.strata.tests.ops;

import dev.strata.engine.graph.Tensor;
import dev.strata.engine.ops.Activation;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ElementwiseConformanceTest {
    static final List<Integer> ROWS = List.of(1, 3, 17);
    static final List<Integer> COLS = List.of(1, 13, 769);
    private static final float[] BOUNDARY = {0f, -0f, 1e-30f, -1e-30f, 1e-3f, -1e-3f, 30f, -30f, 88f, -88f, Float.MIN_VALUE};

    static Stream<Arguments> shapes() { return OpHarness.cross(DeviceCase.all(), ROWS, COLS); }

    static Stream<Arguments> activations() { return OpHarness.cross(DeviceCase.all(), List.of(Activation.values()), ROWS, COLS); }

    /** Uniform in [-8, 8], with boundary values at the start of the first row. */
    static float[] input(int rows, int cols, long seed) {
        float[] x = OpHarness.uniform(new SplittableRandom(seed), rows * cols, -8, 8);
        System.arraycopy(BOUNDARY, 0, x, 0, Math.min(BOUNDARY.length, x.length));
        return x;
    }

    // ---- independent references -------------------------------------------------------

    /** erf by the everywhere-positive series (2/√π) e^(−x²) Σ 2ⁿ x^(2n+1) / (2n+1)!!; ±1 beyond |x| = 6. */
    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax > 6) return Math.signum(x);
        double term = ax, sum = ax;
        for (int n = 1; term > 1e-17 * sum; n++) {
            term *= 2 * ax * ax / (2 * n + 1);
            sum += term;
        }
        double r = 2 / Math.sqrt(Math.PI) * Math.exp(-ax * ax) * sum;
        return x < 0 ? -r : r;
    }

    static double act(Activation a, double x) {
        return switch (a) {
            case SILU -> x / (1 + Math.exp(-x));
            case GELU_ERF -> x * 0.5 * (1 + erf(x / Math.sqrt(2)));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case RELU -> x > 0 ? x : 0;
            case TANH -> Math.tanh(x);
        };
    }

    static double[] softmax(float[] x, int rows, int cols) {
        double[] out = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int c = 0; c < cols; c++) max = Math.max(max, x[r * cols + c]);
            for (int c = 0; c < cols; c++) sum += Math.exp(x[r * cols + c] - max);
            for (int c = 0; c < cols; c++) out[r * cols + c] = Math.exp(x[r * cols + c] - max) / sum;
        }
        return out;
    }

    // ---- tests --------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} softmax [{1}, {2}]")
    @MethodSource("shapes")
    void softmax(DeviceCase device, int rows, int cols) {
        float[] x = input(rows, cols, 1);
        for (int r = 1; r < rows; r += 2) for (int c = 0; c < cols; c++) x[r * cols + c] *= 100; // ±800
        for (int r = 0; r < rows; r++) if (cols > 1) x[r * cols + (r * 7) % cols] = Float.NEGATIVE_INFINITY;
        try (OpHarness h = new OpHarness()) {
            var g = h.guarded(rows, cols, DType.F32, b -> b.softmax(b.input("x", DType.F32, rows, cols), "softmax"));
            try (var s = h.open(device)) {
                HostTensor out = s.run(g, Map.of("x", h.f32(rows, cols, x)), null);
                Nmse.check(device + " softmax", OpHarness.values(out), softmax(x, rows, cols), Nmse.limit(device, Nmse.ELEMENTWISE));
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} [{2}, {3}]")
    @MethodSource("activations")
    void activate(DeviceCase device, Activation a, int rows, int cols) {
        float[] x = input(rows, cols, 2);
        double[] expected = new double[x.length];
        for (int i = 0; i < x.length; i++) expected[i] = act(a, x[i]);
        try (OpHarness h = new OpHarness()) {
            var g = h.guarded(rows, cols, DType.F32, b -> b.activate(b.input("x", DType.F32, rows, cols), a, "act"));
            try (var s = h.open(device)) {
                HostTensor out = s.run(g, Map.of("x", h.f32(rows, cols, x)), null);
                Nmse.check(device + " " + a, OpHarness.values(out), expected, Nmse.limit(device, Nmse.ELEMENTWISE));
            }
        }
    }

    @ParameterizedTest(name = "{0} gated {1} [{2}, {3}]")
    @MethodSource("activations")
    void gatedActivate(DeviceCase device, Activation a, int rows, int cols) {
        float[] gate = input(rows, cols, 3);
        float[] up = OpHarness.uniform(new SplittableRandom(4), rows * cols, -3, 3);
        double[] expected = new double[gate.length];
        for (int i = 0; i < gate.length; i++) expected[i] = act(a, gate[i]) * up[i];
        try (OpHarness h = new OpHarness()) {
            var g = h.guarded(rows, cols, DType.F32, b ->
                    b.gatedActivate(b.input("gate", DType.F32, rows, cols), b.input("up", DType.F32, rows, cols), a, "gated"));
            try (var s = h.open(device)) {
                HostTensor out = s.run(g, Map.of("gate", h.f32(rows, cols, gate), "up", h.f32(rows, cols, up)), null);
                Nmse.check(device + " gated " + a, OpHarness.values(out), expected, Nmse.limit(device, Nmse.ELEMENTWISE));
            }
        }
    }

    @ParameterizedTest(name = "{0} add [{1}, {2}]")
    @MethodSource("shapes")
    void add(DeviceCase device, int rows, int cols) {
        checkAdd(device, rows, cols, rows);
    }

    @ParameterizedTest(name = "{0} add row-broadcast [{1}, {2}] + [1, {2}]")
    @MethodSource("shapes")
    void addBroadcast(DeviceCase device, int rows, int cols) {
        checkAdd(device, rows, cols, 1);
    }

    private static void checkAdd(DeviceCase device, int rows, int cols, int bRows) {
        float[] a = input(rows, cols, 5);
        float[] bv = OpHarness.uniform(new SplittableRandom(6), bRows * cols, -8, 8);
        double[] expected = new double[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) expected[r * cols + c] = (double) a[r * cols + c] + bv[(bRows == 1 ? 0 : r) * cols + c];
        }
        try (OpHarness h = new OpHarness()) {
            var g = h.guarded(rows, cols, DType.F32, b -> b.add(b.input("a", DType.F32, rows, cols), b.input("b", DType.F32, bRows, cols), "sum"));
            try (var s = h.open(device)) {
                HostTensor out = s.run(g, Map.of("a", h.f32(rows, cols, a), "b", h.f32(bRows, cols, bv)), null);
                Nmse.check(device + " add", OpHarness.values(out), expected, Nmse.limit(device, Nmse.ELEMENTWISE));
            }
        }
    }

    @ParameterizedTest(name = "{0} scale [{1}, {2}]")
    @MethodSource("shapes")
    void scale(DeviceCase device, int rows, int cols) {
        float[] x = input(rows, cols, 7);
        float factor = -0.3737f;
        double[] expected = new double[x.length];
        for (int i = 0; i < x.length; i++) expected[i] = (double) x[i] * factor;
        try (OpHarness h = new OpHarness()) {
            var g = h.guarded(rows, cols, DType.F32, b -> b.scale(b.input("x", DType.F32, rows, cols), factor, "scaled"));
            try (var s = h.open(device)) {
                HostTensor out = s.run(g, Map.of("x", h.f32(rows, cols, x)), null);
                Nmse.check(device + " scale", OpHarness.values(out), expected, Nmse.limit(device, Nmse.ELEMENTWISE));
            }
        }
    }

    /** Elementwise ops reading a column view (strided rows) of a wider input. */
    @ParameterizedTest(name = "{0} activation of a column view [{1}, {2}]")
    @MethodSource("shapes")
    void activateView(DeviceCase device, int rows, int cols) {
        int wide = cols + 5, from = 3;
        float[] x = input(rows, wide, 8);
        double[] expected = new double[rows * cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) expected[r * cols + c] = act(Activation.SILU, x[r * wide + from + c]);
        try (OpHarness h = new OpHarness()) {
            var g = h.guarded(rows, cols, DType.F32, b -> {
                Tensor view = b.columns(b.input("x", DType.F32, rows, wide), from, cols, "x_view");
                return b.activate(view, Activation.SILU, "act");
            });
            try (var s = h.open(device)) {
                HostTensor out = s.run(g, Map.of("x", h.f32(rows, wide, x)), null);
                Nmse.check(device + " SILU of a view", OpHarness.values(out), expected, Nmse.limit(device, Nmse.ELEMENTWISE));
            }
        }
    }
}
