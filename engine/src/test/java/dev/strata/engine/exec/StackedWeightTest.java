// Stacked weights (GraphBuilder.stackedRows / concatenated; Llama's q/k/v as one projection): the
// device buffer holds the parts' bytes in order, a matmul over it equals the parts' matmuls side
// by side, RoPE fused into it leaves the columns past its heads alone, and bad parts (missing,
// wrong shape, mixed dtypes) are refused by name when the graph is built.
package dev.strata.engine.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.cpu.CpuDevice;
import dev.strata.engine.graph.Graph;
import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.graph.ShapeException;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.graph.WeightCatalog;
import dev.strata.engine.ops.MatMul;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StackedWeightTest {
    static final int K = 5;
    static final int[] ROWS = {4, 2, 2}; // q: 2 heads of 2, k: 1 head of 2, v: 2 columns
    static final List<String> W = List.of("q.weight", "k.weight", "v.weight"), B = List.of("q.bias", "k.bias", "v.bias");

    /** Part p's values: w[p][r][c] = p + 0.1 r + 0.01 c (distinct everywhere), biases p + 0.5 + 0.1 r. */
    static float w(int p, int r, int c) { return p + 0.1f * r + 0.01f * c; }
    static float b(int p, int r) { return p + 0.5f + 0.1f * r; }

    final Arena arena = Arena.ofShared();
    final Map<String, WeightCatalog.Entry> catalog = new HashMap<>();
    final Map<String, MemorySegment> data = new HashMap<>();

    StackedWeightTest() {
        for (int p = 0; p < 3; p++) {
            MemorySegment ws = arena.allocate((long) ROWS[p] * K * 4), bs = arena.allocate(ROWS[p] * 4L);
            for (int r = 0; r < ROWS[p]; r++) {
                for (int c = 0; c < K; c++) ws.setAtIndex(ValueLayout.JAVA_FLOAT, (long) r * K + c, w(p, r, c));
                bs.setAtIndex(ValueLayout.JAVA_FLOAT, r, b(p, r));
            }
            put(W.get(p), DType.F32, new long[] {ROWS[p], K}, ws);
            put(B.get(p), DType.F32, new long[] {ROWS[p]}, bs);
        }
    }

    @AfterEach
    void close() { arena.close(); }

    void put(String name, DType dtype, long[] shape, MemorySegment bytes) {
        catalog.put(name, new WeightCatalog.Entry(name, dtype, shape));
        data.put(name, bytes);
    }

    @Test
    void stackedWeightHoldsThePartsInOrderAndIsDeclaredOnce() {
        GraphBuilder g = new GraphBuilder(catalog::get);
        Tensor w = g.stackedRows(W, ROWS, K), bias = g.concatenated(B, ROWS);
        assertEquals(8, w.rows());
        assertEquals(K, w.cols());
        assertEquals(W, w.parts());
        assertEquals(1, bias.rows());
        assertEquals(8, bias.cols());
        assertSame(w, g.stackedRows(W, ROWS, K));
        assertEquals(List.of("q.weight"), g.weight("q.weight", 4, K).parts());
        try (CpuDevice dev = new CpuDevice(true, 1); DeviceWeights dw = new DeviceWeights(dev, data::get)) {
            MemorySegment stacked = ((dev.strata.engine.cpu.CpuBuffer) dw.get(w)).segment();
            long i = 0;
            for (int p = 0; p < 3; p++) {
                for (int r = 0; r < ROWS[p]; r++) {
                    for (int c = 0; c < K; c++) assertEquals(w(p, r, c), stacked.getAtIndex(ValueLayout.JAVA_FLOAT, i++), 0, "part " + p + " row " + r);
                }
            }
            assertEquals(4L * 8 * K, dw.residentBytes());
            MemorySegment biases = ((dev.strata.engine.cpu.CpuBuffer) dw.get(bias)).segment();
            for (int p = 0, j = 0; p < 3; p++) for (int r = 0; r < ROWS[p]; r++) assertEquals(b(p, r), biases.getAtIndex(ValueLayout.JAVA_FLOAT, j++), 0);
            assertEquals(4L * 8 * K + 4L * 8, dw.residentBytes());
            assertEquals(dw.residentBytes(), dw.stackedBytes(), "both weights are stacked copies");
            dw.get(g.weight("q.weight", 4, K));
            assertEquals(4L * 8 * K + 4L * 8, dw.stackedBytes(), "a plain weight is not");
        }
    }

    /** x·[q; k; v]ᵀ + bias with RoPE over q's and k's 3 heads: v's 2 columns stay the plain product. */
    @Test
    void stackedProjectionWithRopeOnItsLeadingHeads() {
        GraphBuilder g = new GraphBuilder(catalog::get);
        Tensor x = g.input("x", DType.F32, 2, K), pos = g.input("positions", DType.I32, 2, 1);
        Tensor freq = g.constant("inv_freq", 1, 1, new float[] {0.7f});
        MatMul.Rotary rope = new MatMul.Rotary(pos, freq, 3, 2, 2);
        g.output("qkv", g.matmul(new MatMul(x, g.stackedRows(W, ROWS, K), g.concatenated(B, ROWS), WeightLayout.OUT_IN, null, null, rope, null), "qkv"));
        Graph graph = g.build();
        float[] xs = {1, -2, 0.5f, 3, -1, 0.25f, 2, -0.5f, 1.5f, -3};
        int[] positions = {3, 11};
        try (CpuDevice dev = new CpuDevice(true, 1); DeviceWeights dw = new DeviceWeights(dev, data::get); GraphExecutor ex = new GraphExecutor(graph, dw);
             Arena a = Arena.ofConfined()) {
            HostTensor xt = HostTensor.allocate(a, DType.F32, 2, K), pt = HostTensor.allocate(a, DType.I32, 2, 1);
            for (int i = 0; i < xs.length; i++) xt.data().setAtIndex(HostTensor.F32, i, xs[i]);
            for (int i = 0; i < 2; i++) pt.data().setAtIndex(ValueLayout.JAVA_INT, i, positions[i]);
            ex.run(Map.of("x", xt, "positions", pt), null);
            HostTensor out = ex.read("qkv", a);
            for (int row = 0; row < 2; row++) {
                double[] y = new double[8];
                int j = 0;
                for (int p = 0; p < 3; p++) {
                    for (int r = 0; r < ROWS[p]; r++, j++) {
                        double acc = b(p, r);
                        for (int c = 0; c < K; c++) acc += (double) xs[row * K + c] * w(p, r, c);
                        y[j] = acc;
                    }
                }
                double angle = positions[row] * (double) 0.7f, cs = Math.cos(angle), sn = Math.sin(angle);
                for (int h = 0; h < 3; h++) {
                    double a0 = y[2 * h], a1 = y[2 * h + 1];
                    y[2 * h] = a0 * cs - a1 * sn;
                    y[2 * h + 1] = a1 * cs + a0 * sn;
                }
                for (int c = 0; c < 8; c++) assertEquals(y[c], out.getDouble(row * 8 + c), 1e-5, "row " + row + " column " + c);
            }
        }
    }

    @Test
    void badPartsAreRefusedByName() {
        GraphBuilder g = new GraphBuilder(catalog::get);
        String missing = assertThrows(ShapeException.class, () -> g.stackedRows(List.of("q.weight", "o.weight"), new int[] {4, 2}, K)).getMessage();
        assertEquals("model has no tensor 'o.weight'; expected shape [2, 5]", missing);
        String shape = assertThrows(ShapeException.class, () -> g.stackedRows(W, new int[] {4, 3, 2}, K)).getMessage();
        assertEquals("tensor 'k.weight' has shape [2, 5]; expected [3, 5]", shape);
        put("v16.weight", DType.BF16, new long[] {2, K}, arena.allocate(2L * K * 2));
        String mixed = assertThrows(ShapeException.class, () -> g.stackedRows(List.of("q.weight", "k.weight", "v16.weight"), ROWS, K)).getMessage();
        assertTrue(mixed.contains("'v16.weight' has dtype BF16; expected F32 as 'q.weight'"), mixed);
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class, () -> g.stackedRows(List.of("q.weight"), new int[] {4}, K));
        assertTrue(one.getMessage().contains("expected two or more"), one.getMessage());
    }
}
