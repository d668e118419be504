// Conformance of matmul on every backend and mode: F32, F16 and BF16 weights in both layouts
// (OUT_IN = torch.nn.Linear [n, k], IN_OUT = Conv1D [k, n]), with and without bias, with x
// contiguous or a column view of a wider input (GraphBuilder.columns), over odd and tail sizes.
// The reference is a plain double dot product over the weights as stored (already rounded to
// their dtype), so only the kernel's arithmetic is measured.
package dev.strata.tests.ops;

import dev.strata.engine.graph.Tensor;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MatMulConformanceTest {
    /** m × k × n. */
    record Shape(int m, int k, int n) {
        @Override public String toString() { return "[" + m + ", " + k + "]·[" + k + ", " + n + "]"; }
    }

    static final List<Shape> SHAPES = List.of(new Shape(1, 1, 1), new Shape(1, 769, 13), new Shape(3, 13, 769),
            new Shape(17, 64, 129), new Shape(17, 769, 33), new Shape(67, 130, 65));

    static Stream<Arguments> cases() {
        return OpHarness.cross(DeviceCase.all(), List.of(DType.F32, DType.F16, DType.BF16), List.of(WeightLayout.values()),
                List.of(false, true), List.of(false, true), SHAPES);
    }

    @ParameterizedTest(name = "{0} {1} {2} bias={3} view={4} {5}")
    @MethodSource("cases")
    void matmul(DeviceCase device, DType dtype, WeightLayout layout, boolean withBias, boolean xView, Shape s) {
        int m = s.m(), k = s.k(), n = s.n();
        int wide = xView ? k + 7 : k, from = xView ? 4 : 0;
        SplittableRandom rnd = new SplittableRandom(31L * m + 7L * k + n);
        float[] x = OpHarness.uniform(rnd, m * wide, -1, 1);
        try (OpHarness h = new OpHarness()) {
            long[] wShape = layout == WeightLayout.OUT_IN ? new long[] {n, k} : new long[] {k, n};
            double[] w = h.weight("proj.weight", dtype, wShape, OpHarness.uniform(rnd, n * k, -1, 1));
            double[] bias = withBias ? h.weight("proj.bias", dtype, new long[] {n}, OpHarness.uniform(rnd, n, -1, 1)) : new double[n];
            double[] expected = new double[m * n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double acc = bias[j];
                    for (int kk = 0; kk < k; kk++) {
                        double wv = layout == WeightLayout.OUT_IN ? w[j * k + kk] : w[kk * n + j];
                        acc += x[i * wide + from + kk] * wv;
                    }
                    expected[i * n + j] = acc;
                }
            }
            var g = h.guarded(m, n, DType.F32, b -> {
                Tensor in = b.input("x", DType.F32, m, wide);
                Tensor xt = xView ? b.columns(in, from, k, "x_view") : in;
                Tensor wt = b.weight("proj.weight", (int) wShape[0], (int) wShape[1]);
                return b.matmul(xt, wt, withBias ? b.weight("proj.bias", 1, n) : null, layout, "proj");
            });
            try (var sess = h.open(device)) {
                HostTensor out = sess.run(g, Map.of("x", h.f32(m, wide, x)), null);
                Nmse.check(device + " matmul " + dtype + " " + layout + " " + s, OpHarness.values(out), expected, Nmse.limit(device, Nmse.MATMUL));
            }
        }
    }
}
