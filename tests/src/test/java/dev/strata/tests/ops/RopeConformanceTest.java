// Conformance of rotary embedding (rotate-half layout) on every backend and mode: full and
// partial rotary (rotaryDims < headDim: the tail passes through), head dims 8 to 128, x
// contiguous or a column view, positions far beyond an "original" context window (to 131071,
// where an angle computed in float is off by ~1e-2 rad), with plain θ = 10000 frequencies and
// with llama3-scaled ones from RopeFrequencies, and with frequencies read from the checkpoint as a
// F32, F16 or BF16 weight (transformers casts the inv_freq buffer with the weights). The reference
// rotates in double here, using the frequencies the op receives (as stored).
package dev.strata.tests.ops;

import dev.strata.engine.graph.Tensor;
import dev.strata.engine.model.RopeFrequencies;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import dev.strata.loader.HfConfig;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RopeConformanceTest {
    record Geometry(int heads, int headDim, int rotaryDims) {
        @Override public String toString() { return heads + "×" + headDim + (rotaryDims < headDim ? " rotary " + rotaryDims : ""); }
    }

    enum Freqs { THETA_10000, LLAMA3 }

    static final List<Geometry> GEOMETRIES = List.of(new Geometry(2, 8, 8), new Geometry(4, 64, 32), new Geometry(3, 128, 128),
            new Geometry(2, 64, 2), new Geometry(1, 96, 64));
    static final int[] FIXED_POSITIONS = {0, 1, 4095, 4096, 4097, 8191, 8192, 8193, 32768, 131071};

    static Stream<Arguments> cases() {
        return OpHarness.cross(DeviceCase.all(), GEOMETRIES, List.of(Freqs.values()), ElementwiseConformanceTest.ROWS, List.of(false, true));
    }

    static float[] invFreq(Freqs f, int rotaryDims) {
        return switch (f) {
            case THETA_10000 -> {
                float[] inv = new float[rotaryDims / 2];
                for (int i = 0; i < inv.length; i++) inv[i] = (float) Math.pow(10000, -2.0 * i / rotaryDims);
                yield inv;
            }
            case LLAMA3 -> RopeFrequencies.compute(new HfConfig.RopeConfig(500000, "llama3", 8, 1, 4, 8192, 1), rotaryDims);
        };
    }

    static int[] positions(int rows) {
        SplittableRandom rnd = new SplittableRandom(rows);
        int[] p = new int[rows];
        int n = FIXED_POSITIONS.length;
        // the last `rows` fixed positions (one row: 131071), then random ones
        for (int r = 0; r < rows; r++) p[r] = r < n ? FIXED_POSITIONS[Math.floorMod(n - rows + r, n)] : rnd.nextInt(20000);
        return p;
    }

    /** Rotate-half over the first rotaryDims of each head, in double. */
    static double[] rope(float[] x, int wide, int from, int rows, int[] pos, float[] inv, Geometry g) {
        int cols = g.heads() * g.headDim(), half = g.rotaryDims() / 2;
        double[] out = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < g.heads(); h++) {
                int src = r * wide + from + h * g.headDim(), dst = r * cols + h * g.headDim();
                for (int d = 0; d < g.headDim(); d++) out[dst + d] = x[src + d];
                for (int i = 0; i < half; i++) {
                    double angle = pos[r] * (double) inv[i];
                    double a = x[src + i], b = x[src + i + half];
                    out[dst + i] = a * Math.cos(angle) - b * Math.sin(angle);
                    out[dst + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
                }
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0} rope {1} {2} rows={3} view={4}")
    @MethodSource("cases")
    void rope(DeviceCase device, Geometry geo, Freqs freqs, int rows, boolean view) {
        int cols = geo.heads() * geo.headDim(), wide = view ? cols + 24 : cols, from = view ? 16 : 0;
        float[] x = OpHarness.uniform(new SplittableRandom(51), rows * wide, -3, 3);
        int[] pos = positions(rows);
        float[] inv = invFreq(freqs, geo.rotaryDims());
        double[] expected = rope(x, wide, from, rows, pos, inv, geo);
        try (OpHarness h = new OpHarness()) {
            var g = h.guarded(rows, cols, DType.F32, b -> {
                Tensor in = b.input("x", DType.F32, rows, wide);
                Tensor xt = view ? b.columns(in, from, cols, "x_view") : in;
                Tensor f = b.constant("inv_freq", 1, inv.length, inv);
                return b.rope(xt, b.input("positions", DType.I32, rows, 1), f, geo.heads(), geo.headDim(), geo.rotaryDims(), "rope");
            });
            try (var s = h.open(device)) {
                HostTensor out = s.run(g, Map.of("x", h.f32(rows, wide, x), "positions", h.i32(rows, 1, pos)), null);
                Nmse.check(device + " rope " + geo + " " + freqs, OpHarness.values(out), expected, Nmse.limit(device, Nmse.ELEMENTWISE));
            }
        }
    }

    static Stream<Arguments> storedCases() { return OpHarness.cross(DeviceCase.all(), List.of(DType.F32, DType.F16, DType.BF16)); }

    @ParameterizedTest(name = "{0} rope, inv_freq a {1} weight")
    @MethodSource("storedCases")
    void ropeWithStoredFrequencies(DeviceCase device, DType dtype) {
        Geometry geo = new Geometry(4, 64, 32);
        int rows = 5, cols = geo.heads() * geo.headDim();
        float[] x = OpHarness.uniform(new SplittableRandom(52), rows * cols, -3, 3);
        int[] pos = positions(rows);
        try (OpHarness h = new OpHarness()) {
            double[] stored = h.weight("rotary.inv_freq", dtype, new long[] {geo.rotaryDims() / 2}, invFreq(Freqs.THETA_10000, geo.rotaryDims()));
            float[] inv = new float[stored.length];
            for (int i = 0; i < inv.length; i++) inv[i] = (float) stored[i];
            double[] expected = rope(x, cols, 0, rows, pos, inv, geo);
            var g = h.guarded(rows, cols, DType.F32, b -> b.rope(b.input("x", DType.F32, rows, cols), b.input("positions", DType.I32, rows, 1),
                    b.weight("rotary.inv_freq", 1, inv.length), geo.heads(), geo.headDim(), geo.rotaryDims(), "rope"));
            try (var s = h.open(device)) {
                HostTensor out = s.run(g, Map.of("x", h.f32(rows, cols, x), "positions", h.i32(rows, 1, pos)), null);
                Nmse.check(device + " rope inv_freq " + dtype, OpHarness.values(out), expected, Nmse.limit(device, Nmse.ELEMENTWISE));
            }
        }
    }
}
