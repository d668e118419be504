// OpenCL matmul launch plans without a device: which kernels a matmul with fused parts becomes
// (decode OUT_IN: one gemv_out_in[_gate] launch; prefill and IN_OUT: products with an epilogue,
// prenorm and RoPE as their own kernels), what strata.opencl.fusedGemv leaves out, and that its
// parser refuses unknown parts (as the strata.opencl.prefillAttention switch's does). The kernels' results are checked on PoCL by
// FusedMatMulConformanceTest (tests/) and ClMatMulKernelTest.
package dev.strata.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.graph.WeightCatalog;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.ops.Activation;
import dev.strata.engine.ops.MatMul;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.engine.tensor.DType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ClLaunchPlanTest {
    static final int K = 64, HEADS = 4;
    static final Set<String> ALL = Set.copyOf(ClLaunchPlans.PARTS);

    /** Parts of one matmul; headDim is that of the rotary part (HEADS heads). */
    record Case(int m, WeightLayout layout, boolean prenorm, boolean gate, boolean activation, int headDim, boolean residual) {}

    @Test
    void decodeOutInTakesEveryPartInOneLaunch() {
        assertEquals(List.of("gemv_out_in_gate"), kernels(new Case(1, WeightLayout.OUT_IN, true, true, false, 0, true), ALL));
        assertEquals(List.of("gemv_out_in"), kernels(new Case(1, WeightLayout.OUT_IN, true, false, false, 16, true), ALL));
        assertEquals(List.of("gemv_out_in"), kernels(new Case(8, WeightLayout.OUT_IN, false, false, true, 0, true), ALL));
    }

    @Test
    void oddHeadSizeRunsRopeAndResidualAfterTheGemv() {
        assertEquals(List.of("gemv_out_in", "rope", "add"), kernels(new Case(1, WeightLayout.OUT_IN, true, false, false, 5, true), ALL));
    }

    @Test
    void excludedPartsRunAsTheirOwnKernels() {
        Case llamaMlp = new Case(1, WeightLayout.OUT_IN, true, true, false, 0, true);
        assertEquals(List.of("rms_norm", "gemv_out_in", "gemv_out_in", "gated_activate", "add"), kernels(llamaMlp, Set.of()));
        assertEquals(List.of("gemv_out_in", "gemv_out_in", "gated_activate", "add"), kernels(llamaMlp, Set.of("prenorm")));
        Case q = new Case(2, WeightLayout.OUT_IN, true, false, false, 16, true);
        assertEquals(List.of("gemv_out_in", "rope", "add"), kernels(q, Set.of("prenorm", "residual")));
        assertEquals(List.of("gemv_out_in", "add"), kernels(q, Set.of("prenorm", "rotary")));
        assertEquals(List.of("gemv_out_in", "activate"), kernels(new Case(1, WeightLayout.OUT_IN, false, false, true, 0, false), Set.of()));
    }

    @Test
    void prefillAndInOutProductsApplyActivationGateAndResidualInTheirEpilogue() {
        assertEquals(List.of("rms_norm", "matmul_tiled", "matmul_tiled"), kernels(new Case(17, WeightLayout.OUT_IN, true, true, false, 0, true), ALL));
        assertEquals(List.of("matmul_tiled"), kernels(new Case(17, WeightLayout.IN_OUT, false, false, true, 0, true), ALL));
        assertEquals(List.of("matmul_tiled", "rope", "add"), kernels(new Case(17, WeightLayout.OUT_IN, false, false, false, 16, true), ALL));
        assertEquals(List.of("gemv_in_out", "gemv_in_out"), kernels(new Case(3, WeightLayout.IN_OUT, false, true, false, 0, true), ALL));
        assertEquals(List.of("gemv_in_out"), kernels(new Case(3, WeightLayout.IN_OUT, false, false, true, 0, true), ALL));
    }

    @Test
    void prefillAttentionSwitchIsParsed() {
        assertTrue(ClLaunchPlans.flashPrefill("flash"));
        assertEquals(false, ClLaunchPlans.flashPrefill("group"));
        assertThrows(IllegalArgumentException.class, () -> ClLaunchPlans.flashPrefill("mma"));
    }

    @Test
    void fusedPartsAreParsedAndUnknownOnesRejected() {
        assertEquals(Set.of(), ClLaunchPlans.fusedParts("none"));
        assertEquals(Set.of("gate", "rotary"), ClLaunchPlans.fusedParts(" gate, rotary "));
        assertEquals(ALL, ClLaunchPlans.fusedParts(String.join(",", ClLaunchPlans.PARTS)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClLaunchPlans.fusedParts("prenorm,rope"));
        assertTrue(e.getMessage().contains("'rope'"), e.getMessage());
    }

    /** Kernel names of the matmul's plan; n = HEADS × headDim with a rotary part, else 48. */
    private static List<String> kernels(Case c, Set<String> parts) {
        int n = c.headDim() > 0 ? HEADS * c.headDim() : 48;
        long[] wShape = c.layout() == WeightLayout.OUT_IN ? new long[] {n, K} : new long[] {K, n};
        Map<String, WeightCatalog.Entry> entries = Map.of(
                "w", new WeightCatalog.Entry("w", DType.BF16, wShape),
                "up", new WeightCatalog.Entry("up", DType.BF16, wShape),
                "norm", new WeightCatalog.Entry("norm", DType.BF16, new long[] {K}),
                "inv", new WeightCatalog.Entry("inv", DType.F32, new long[] {Math.max(1, rotary(c) / 2)}));
        GraphBuilder g = new GraphBuilder(entries::get);
        Tensor x = g.input("x", DType.F32, c.m(), K), w = g.weight("w", (int) wShape[0], (int) wShape[1]);
        MatMul.Prenorm prenorm = c.prenorm() ? new MatMul.Prenorm(g.weight("norm", 1, K), 1e-5f) : null;
        MatMul.Gate gate = c.gate() ? new MatMul.Gate(g.weight("up", (int) wShape[0], (int) wShape[1]), null, Activation.SILU) : null;
        MatMul.Rotary rot = c.headDim() > 0
                ? new MatMul.Rotary(g.input("pos", DType.I32, c.m(), 1), g.weight("inv", 1, rotary(c) / 2), HEADS, c.headDim(), rotary(c))
                : null;
        Tensor residual = c.residual() ? g.input("residual", DType.F32, c.m(), n) : null;
        MatMul mm = new MatMul(x, w, null, c.layout(), prenorm, gate, c.activation() ? Activation.GELU_ERF : null, rot, residual);
        Tensor out = g.matmul(mm, "proj");
        Fake ctx = new Fake(new HashMap<>());
        return ClLaunchPlans.matmul(mm, ctx, ctx.tensor(out), parts).stream().map(ClCall::kernel).toList();
    }

    /** Rotary dims: the even part of the head size. */
    private static int rotary(Case c) { return c.headDim() / 2 * 2; }

    /** Distinct fake cl_mem handles per tensor; scratch per purpose; no KV cache. */
    private record Fake(Map<Object, Long> handles) implements ClLaunchPlans.Context {
        private long handle(Object key) { return handles.computeIfAbsent(key, k -> 0x1000L * (handles.size() + 1)); }

        public ClLaunchPlans.ClTensor tensor(Tensor t) {
            return new ClLaunchPlans.ClTensor(handle(t), 0, t.rows(), t.cols(), t.cols(), t.dtype());
        }

        public long dummy() { return handle("dummy"); }

        public long scratch(String purpose, long bytes) { return handle(purpose); }

        public KvSpec kvSpec() { throw new IllegalStateException("no KV cache"); }

        public long kvKeys(int layer) { throw new IllegalStateException("no KV cache"); }

        public long kvValues(int layer) { throw new IllegalStateException("no KV cache"); }
    }
}
