// Conformance of the two indexing ops on every backend and mode: embedding (a gather of table
// rows, from F32/F16/BF16 checkpoint tables and from an activation) and argmax (first index on
// ties, -inf entries, the maximum in the last column), both compared exactly or by NMSE with
// references written here.
package dev.strata.tests.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GatherArgmaxConformanceTest {
    private static final int VOCAB = 301;

    static Stream<Arguments> tables() {
        return OpHarness.cross(DeviceCase.all(), List.of(DType.F32, DType.F16, DType.BF16), ElementwiseConformanceTest.ROWS, ElementwiseConformanceTest.COLS);
    }

    static Stream<Arguments> shapes() { return ElementwiseConformanceTest.shapes(); }

    /** Ids covering 0, the last row and repeats. */
    static int[] ids(int n, int vocab, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = rnd.nextInt(vocab);
        ids[0] = vocab - 1;
        if (n > 1) ids[1] = 0;
        if (n > 2) ids[2] = ids[0];
        return ids;
    }

    @ParameterizedTest(name = "{0} embedding {1} table [" + VOCAB + ", {3}], {2} ids")
    @MethodSource("tables")
    void embeddingFromWeight(DeviceCase device, DType dtype, int n, int dim) {
        int[] ids = ids(n, VOCAB, 21);
        try (OpHarness h = new OpHarness()) {
            double[] table = h.weight("embed.weight", dtype, new long[] {VOCAB, dim}, OpHarness.uniform(new SplittableRandom(22), VOCAB * dim, -2, 2));
            double[] expected = new double[n * dim];
            for (int i = 0; i < n; i++) System.arraycopy(table, ids[i] * dim, expected, i * dim, dim);
            var g = h.guarded(n, dim, DType.F32, b -> b.embedding(b.weight("embed.weight", VOCAB, dim), b.input("ids", DType.I32, n, 1), "embed"));
            try (var s = h.open(device)) {
                HostTensor out = s.run(g, Map.of("ids", h.i32(n, 1, ids)), null);
                Nmse.check(device + " embedding", OpHarness.values(out), expected, Nmse.limit(device, Nmse.ELEMENTWISE));
            }
        }
    }

    /** Gathering rows of an activation (GPT-2's last-row selection) instead of a weight. */
    @ParameterizedTest(name = "{0} row gather from an activation, {1} ids × {2}")
    @MethodSource("shapes")
    void embeddingFromActivation(DeviceCase device, int n, int dim) {
        int tableRows = 19;
        int[] ids = ids(n, tableRows, 23);
        float[] table = OpHarness.uniform(new SplittableRandom(24), tableRows * dim, -2, 2);
        double[] expected = new double[n * dim];
        for (int i = 0; i < n; i++) for (int c = 0; c < dim; c++) expected[i * dim + c] = table[ids[i] * dim + c];
        try (OpHarness h = new OpHarness()) {
            var g = h.guarded(n, dim, DType.F32, b -> b.embedding(b.input("table", DType.F32, tableRows, dim), b.input("ids", DType.I32, n, 1), "rows"));
            try (var s = h.open(device)) {
                HostTensor out = s.run(g, Map.of("table", h.f32(tableRows, dim, table), "ids", h.i32(n, 1, ids)), null);
                Nmse.check(device + " row gather", OpHarness.values(out), expected, Nmse.limit(device, Nmse.ELEMENTWISE));
            }
        }
    }

    /**
     * Row r: uniform values with the maximum planted per row kind — twice (ties → the first),
     * in the last column, in every column (all equal → 0), or beside -inf entries.
     */
    @ParameterizedTest(name = "{0} argmax [{1}, {2}]")
    @MethodSource("shapes")
    void argmax(DeviceCase device, int rows, int cols) {
        SplittableRandom rnd = new SplittableRandom(25);
        float[] x = OpHarness.uniform(rnd, rows * cols, -5, 5);
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            switch (r % 4) {
                case 0 -> {
                    int a = rnd.nextInt(cols), b = rnd.nextInt(cols);
                    x[o + a] = 9f;
                    x[o + b] = 9f;
                }
                case 1 -> x[o + cols - 1] = 9f;
                case 2 -> Arrays.fill(x, o, o + cols, -3.25f);
                default -> {
                    for (int c = 0; c < cols; c += 2) x[o + c] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        int[] expected = new int[rows];
        for (int r = 0; r < rows; r++) {
            int best = 0;
            for (int c = 1; c < cols; c++) if (x[r * cols + c] > x[r * cols + best]) best = c;
            expected[r] = best;
        }
        try (OpHarness h = new OpHarness()) {
            var g = h.guarded(rows, 1, DType.I32, b -> b.argmax(b.input("x", DType.F32, rows, cols), "argmax"));
            try (var s = h.open(device)) {
                HostTensor out = s.run(g, Map.of("x", h.f32(rows, cols, x)), null);
                assertArrayEquals(expected, OpHarness.ints(out), device + " argmax");
            }
        }
    }
    static Stream<Arguments> longRows() { return OpHarness.cross(DeviceCase.all(), List.of(20_000, 128_256)); }

    /**
     * Rows as long as a vocabulary, which a device may split over several blocks (CUDA's
     * strata.cuda.argmaxSplit: one per 8,192 columns): equal maxima in different parts (the first
     * wins), the maximum in the last column, a NaN at 0 (gives 0), NaNs before the maximum, all
     * equal, all -inf.
     */
    @ParameterizedTest(name = "{0} argmax [6, {1}]")
    @MethodSource("longRows")
    void argmaxOfLongRows(DeviceCase device, int cols) {
        int rows = 6;
        SplittableRandom rnd = new SplittableRandom(cols);
        float[] x = OpHarness.uniform(rnd, rows * cols, -5, 5);
        x[cols - 5000] = 7f;
        x[9000] = 7f;
        x[cols + cols - 1] = 7f;
        x[2 * cols] = Float.NaN;
        x[2 * cols + 100] = 7f;
        for (int c = 3 * cols + 1; c < 4 * cols; c += 7) x[c] = Float.NaN;
        x[3 * cols + cols - 2] = 7f;
        Arrays.fill(x, 4 * cols, 5 * cols, 0.5f);
        Arrays.fill(x, 5 * cols, 6 * cols, Float.NEGATIVE_INFINITY);
        int[] expected = {9000, cols - 1, 0, cols - 2, 0, 0};
        for (int r = 0; r < rows; r++) {
            int best = 0;
            for (int c = 1; c < cols; c++) if (x[r * cols + c] > x[r * cols + best]) best = c;
            assertEquals(expected[r], best, "row " + r + " of the test's own data");
        }
        try (OpHarness h = new OpHarness()) {
            var g = h.guarded(rows, 1, DType.I32, b -> b.argmax(b.input("x", DType.F32, rows, cols), "argmax"));
            try (var s = h.open(device)) {
                HostTensor out = s.run(g, Map.of("x", h.f32(rows, cols, x)), null);
                assertArrayEquals(expected, OpHarness.ints(out), device + " argmax");
            }
        }
    }
}
