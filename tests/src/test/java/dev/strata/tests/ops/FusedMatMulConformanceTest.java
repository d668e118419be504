// Conformance of matmul's fused parts (MatMul.Prenorm, MatMul.Gate, activation, MatMul.Rotary,
// residual) on every backend and mode, alone and together: F32 and BF16 weights in both layouts,
// shapes that take the decode GEMV paths (m = 1, m = 3 with a split-k column count), the small
// prefill path (m = 17) and the CPU's packed GEMM with its epilogue (m = 40), odd k with a vector
// tail. The reference is computed here in double from the stored weights:
// normed = x·rsqrt(mean(x²) + eps)·g, out = silu(normed·W + b)·(normed·U + u) (gate),
// gelu(normed·W + b) (activation) or normed·W + b, then + residual.
package dev.strata.tests.ops;

import dev.strata.engine.graph.Tensor;
import dev.strata.engine.ops.Activation;
import dev.strata.engine.ops.MatMul;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FusedMatMulConformanceTest {
    static final float EPS = 1e-5f;

    /** Which fused parts are present (gate and activation exclude each other). */
    record Parts(boolean prenorm, boolean gate, boolean activation, boolean residual) {
        @Override public String toString() {
            return (prenorm ? "prenorm+" : "") + (gate ? "gate+" : "") + (activation ? "gelu+" : "") + (residual ? "residual+" : "") + "matmul";
        }
    }

    /**
     * The two with n = 4160 are wide enough that CUDA's decode GEMV is not split on a 132-SM GPU
     * (n / 8 blocks ≥ 2 per SM): one warp per column, or the gate/up kernel's 4 columns per block at
     * one row (strata.cuda.gemvGateCols), the paths a 1B model's decode takes; the narrower ones
     * take the split-K kernel.
     */
    static final List<MatMulConformanceTest.Shape> SHAPES = List.of(new MatMulConformanceTest.Shape(1, 771, 13),
            new MatMulConformanceTest.Shape(3, 64, 129), new MatMulConformanceTest.Shape(17, 130, 65), new MatMulConformanceTest.Shape(40, 67, 37),
            new MatMulConformanceTest.Shape(1, 96, 4160), new MatMulConformanceTest.Shape(3, 96, 4160));

    static List<Parts> parts() {
        List<Parts> out = new ArrayList<>();
        for (int epilogue = 0; epilogue < 3; epilogue++) {
            for (int bits = 0; bits < 4; bits++) {
                if (epilogue == 0 && bits == 0) continue; // no part: MatMulConformanceTest
                out.add(new Parts((bits & 1) != 0, epilogue == 1, epilogue == 2, (bits & 2) != 0));
            }
        }
        return out;
    }

    static Stream<Arguments> cases() {
        // the wide shapes only where they reach the decode GEMV: OUT_IN weights
        return OpHarness.cross(DeviceCase.all(), List.of(DType.F32, DType.BF16), List.of(WeightLayout.values()), parts(), SHAPES)
                .filter(a -> ((MatMulConformanceTest.Shape) a.get()[4]).n() < 4160 || a.get()[2] == WeightLayout.OUT_IN);
    }

    @ParameterizedTest(name = "{0} {1} {2} {3} {4}")
    @MethodSource("cases")
    void fusedMatmul(DeviceCase device, DType dtype, WeightLayout layout, Parts p, MatMulConformanceTest.Shape s) {
        int m = s.m(), k = s.k(), n = s.n();
        boolean withBias = m % 2 == 1;
        Activation act = Activation.SILU, plainAct = Activation.GELU_ERF;
        SplittableRandom rnd = new SplittableRandom(97L * m + 13L * k + n);
        float[] x = OpHarness.uniform(rnd, m * k, -2, 2);
        float[] residual = OpHarness.uniform(rnd, m * n, -1, 1);
        try (OpHarness h = new OpHarness()) {
            long[] wShape = layout == WeightLayout.OUT_IN ? new long[] {n, k} : new long[] {k, n};
            double[] w = h.weight("proj.weight", dtype, wShape, OpHarness.uniform(rnd, n * k, -1, 1));
            double[] up = p.gate() ? h.weight("up.weight", dtype, wShape, OpHarness.uniform(rnd, n * k, -1, 1)) : null;
            double[] bias = withBias ? h.weight("proj.bias", dtype, new long[] {n}, OpHarness.uniform(rnd, n, -1, 1)) : new double[n];
            double[] upBias = withBias && p.gate() ? h.weight("up.bias", dtype, new long[] {n}, OpHarness.uniform(rnd, n, -1, 1)) : new double[n];
            double[] g = p.prenorm() ? h.weight("norm.weight", dtype, new long[] {k}, OpHarness.uniform(rnd, k, 0.5, 1.5)) : null;

            double[] expected = new double[m * n];
            for (int i = 0; i < m; i++) {
                double[] xi = row(x, i, k, g);
                for (int j = 0; j < n; j++) {
                    double v = bias[j] + dot(xi, w, j, k, n, layout);
                    if (p.gate()) v = act.apply(v) * (upBias[j] + dot(xi, up, j, k, n, layout));
                    if (p.activation()) v = plainAct.apply(v);
                    if (p.residual()) v += residual[i * n + j];
                    expected[i * n + j] = v;
                }
            }
            var graph = h.guarded(m, n, DType.F32, b -> {
                Tensor xt = b.input("x", DType.F32, m, k);
                Tensor wt = b.weight("proj.weight", (int) wShape[0], (int) wShape[1]);
                MatMul.Prenorm prenorm = p.prenorm() ? new MatMul.Prenorm(b.weight("norm.weight", 1, k), EPS) : null;
                MatMul.Gate gate = p.gate()
                        ? new MatMul.Gate(b.weight("up.weight", (int) wShape[0], (int) wShape[1]), withBias ? b.weight("up.bias", 1, n) : null, act)
                        : null;
                Tensor res = p.residual() ? b.input("residual", DType.F32, m, n) : null;
                return b.matmul(new MatMul(xt, wt, withBias ? b.weight("proj.bias", 1, n) : null, layout, prenorm, gate,
                        p.activation() ? plainAct : null, null, res), "proj");
            });
            Map<String, HostTensor> inputs = p.residual()
                    ? Map.of("x", h.f32(m, k, x), "residual", h.f32(m, n, residual))
                    : Map.of("x", h.f32(m, k, x));
            try (var sess = h.open(device)) {
                HostTensor out = sess.run(graph, inputs, null);
                Nmse.check(device + " " + p + " " + dtype + " " + layout + " " + s, OpHarness.values(out), expected, Nmse.limit(device, Nmse.MATMUL));
            }
        }
    }

    /**
     * m rows, k inputs, heads × headDim outputs of which rotaryDims per head rotate, then `plain`
     * outputs RoPE leaves alone (a stacked q/k/v projection's v).
     */
    record RopeShape(int m, int k, int heads, int headDim, int rotaryDims, int plain) {
        RopeShape(int m, int k, int heads, int headDim, int rotaryDims) { this(m, k, heads, headDim, rotaryDims, 0); }

        @Override public String toString() {
            return "[" + m + ", " + k + "]·W → " + heads + "×" + headDim + " rot " + rotaryDims + (plain > 0 ? " + " + plain + " plain" : "");
        }
    }

    static Stream<Arguments> rotaryCases() {
        List<RopeShape> shapes = List.of(new RopeShape(1, 771, 3, 16, 12), new RopeShape(1, 64, 4, 128, 128),
                new RopeShape(3, 64, 8, 8, 8), new RopeShape(17, 130, 3, 32, 32), new RopeShape(1, 96, 6, 16, 16, 32),
                new RopeShape(5, 72, 3, 32, 24, 10), new RopeShape(13, 40, 2, 64, 64, 64),
                new RopeShape(1, 64, 34, 64, 64)); // 2,176 columns: CUDA's unsplit decode GEMV (strata.cuda.gemvCols)
        return OpHarness.cross(DeviceCase.all(), List.of(DType.F32, DType.BF16), List.of(false, true), List.of(false, true), shapes);
    }

    /** RoPE fused into the product (q/k projections), alone or with the prenorm and a residual. */
    @ParameterizedTest(name = "{0} {1} prenorm={2} residual={3} {4}")
    @MethodSource("rotaryCases")
    void rotary(DeviceCase device, DType dtype, boolean prenorm, boolean withResidual, RopeShape s) {
        int m = s.m(), k = s.k(), n = s.heads() * s.headDim() + s.plain(), half = s.rotaryDims() / 2;
        SplittableRandom rnd = new SplittableRandom(31L * m + 7L * k + n + s.rotaryDims());
        float[] x = OpHarness.uniform(rnd, m * k, -2, 2);
        float[] residual = OpHarness.uniform(rnd, m * n, -1, 1);
        int[] positions = new int[m];
        for (int i = 0; i < m; i++) positions[i] = rnd.nextInt(5000);
        float[] invFreq = new float[half];
        for (int i = 0; i < half; i++) invFreq[i] = (float) Math.pow(10000, -2.0 * i / s.rotaryDims());
        try (OpHarness h = new OpHarness()) {
            double[] w = h.weight("proj.weight", dtype, new long[] {n, k}, OpHarness.uniform(rnd, n * k, -1, 1));
            double[] bias = h.weight("proj.bias", dtype, new long[] {n}, OpHarness.uniform(rnd, n, -1, 1));
            double[] g = prenorm ? h.weight("norm.weight", dtype, new long[] {k}, OpHarness.uniform(rnd, k, 0.5, 1.5)) : null;
            double[] expected = new double[m * n];
            for (int i = 0; i < m; i++) {
                double[] xi = row(x, i, k, g);
                double[] y = new double[n];
                for (int j = 0; j < n; j++) y[j] = bias[j] + dot(xi, w, j, k, n, WeightLayout.OUT_IN);
                for (int hh = 0; hh < s.heads(); hh++) {
                    int base = hh * s.headDim();
                    for (int c = 0; c < half; c++) {
                        double a = (double) positions[i] * invFreq[c], y0 = y[base + c], y1 = y[base + c + half];
                        y[base + c] = y0 * Math.cos(a) - y1 * Math.sin(a);
                        y[base + c + half] = y1 * Math.cos(a) + y0 * Math.sin(a);
                    }
                }
                for (int j = 0; j < n; j++) expected[i * n + j] = y[j] + (withResidual ? residual[i * n + j] : 0);
            }
            var graph = h.guarded(m, n, DType.F32, b -> {
                Tensor xt = b.input("x", DType.F32, m, k), pos = b.input("positions", DType.I32, m, 1);
                Tensor freq = b.constant("inv_freq", 1, half, invFreq);
                MatMul.Prenorm norm = prenorm ? new MatMul.Prenorm(b.weight("norm.weight", 1, k), EPS) : null;
                MatMul.Rotary rope = new MatMul.Rotary(pos, freq, s.heads(), s.headDim(), s.rotaryDims());
                Tensor res = withResidual ? b.input("residual", DType.F32, m, n) : null;
                return b.matmul(new MatMul(xt, b.weight("proj.weight", n, k), b.weight("proj.bias", 1, n), WeightLayout.OUT_IN, norm, null, rope, res), "proj");
            });
            Map<String, HostTensor> inputs = new java.util.HashMap<>(Map.of("x", h.f32(m, k, x), "positions", h.i32(m, 1, positions)));
            if (withResidual) inputs.put("residual", h.f32(m, n, residual));
            try (var sess = h.open(device)) {
                HostTensor out = sess.run(graph, inputs, null);
                Nmse.check(device + " rotary " + dtype + " " + s, OpHarness.values(out), expected, Nmse.limit(device, Nmse.MATMUL));
            }
        }
    }

    /** Row i of x [m, k], RMS-normalised with weight g (in double) unless g is null. */
    private static double[] row(float[] x, int i, int k, double[] g) {
        double[] xi = new double[k];
        double ss = 0;
        for (int c = 0; c < k; c++) ss += (double) x[i * k + c] * x[i * k + c];
        double inv = 1 / Math.sqrt(ss / k + EPS);
        for (int c = 0; c < k; c++) xi[c] = g != null ? x[i * k + c] * inv * g[c] : x[i * k + c];
        return xi;
    }

    private static double dot(double[] x, double[] w, int j, int k, int n, WeightLayout layout) {
        double acc = 0;
        for (int c = 0; c < k; c++) acc += x[c] * (layout == WeightLayout.OUT_IN ? w[j * k + c] : w[c * n + j]);
        return acc;
    }
}
