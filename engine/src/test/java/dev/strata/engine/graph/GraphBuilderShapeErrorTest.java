// GraphBuilder rejects bad shapes when the graph is built, and every message names the tensor,
// the actual and the expected shape: matmul mismatches, checkpoint weights of the wrong shape or
// dtype or missing, RoPE dims, attention shapes, add/gated shapes, views and outputs.
package dev.strata.engine.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.ops.Activation;
import dev.strata.engine.ops.Attention;
import dev.strata.engine.ops.AttentionSpec;
import dev.strata.engine.ops.MatMul;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.engine.tensor.DType;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class GraphBuilderShapeErrorTest {
    private static final Map<String, WeightCatalog.Entry> WEIGHTS = Map.of(
            "x", new WeightCatalog.Entry("x", DType.F32, new long[] {64, 48}),
            "proj", new WeightCatalog.Entry("proj", DType.BF16, new long[] {32, 64}),
            "norm", new WeightCatalog.Entry("norm", DType.F32, new long[] {64}),
            "ids", new WeightCatalog.Entry("ids", DType.I64, new long[] {64, 64}));

    private final GraphBuilder g = new GraphBuilder(WEIGHTS::get);

    private static String error(Executable e) {
        return assertThrows(ShapeException.class, e).getMessage();
    }

    private static void assertContains(String message, String... parts) {
        for (String p : parts) assertTrue(message.contains(p), () -> "message «" + message + "» lacks «" + p + "»");
    }

    @Test
    void weightWithWrongShapeNamesBothShapes() {
        assertEquals("tensor 'x' has shape [64, 48]; expected [64, 64]", error(() -> g.weight("x", 64, 64)));
        assertEquals("tensor 'norm' has shape [64]; expected [32]", error(() -> g.weight("norm", 1, 32)));
    }

    @Test
    void missingWeightNamesItAndTheExpectedShape() {
        assertEquals("model has no tensor 'lm_head.weight'; expected shape [300, 64]", error(() -> g.weight("lm_head.weight", 300, 64)));
    }

    @Test
    void weightWithIntegerDtypeIsRejected() {
        assertContains(error(() -> g.weight("ids", 64, 64)), "'ids'", "I64", "F32, F16 or BF16");
    }

    @Test
    void weightReusedWithAnotherShape() {
        g.weight("proj", 32, 64);
        assertContains(error(() -> g.weight("proj", 64, 32)), "'proj'", "[64, 32]", "[32, 64]");
    }

    @Test
    void oneDimensionalWeightsCountAsRows() {
        Tensor w = g.weight("norm", 1, 64);
        assertEquals("[1, 64]", w.shapeString());
    }

    @Test
    void matmulMismatchNamesInputAndWeight() {
        Tensor x = g.input("h", DType.F32, 5, 48);
        Tensor w = g.weight("proj", 32, 64);
        assertContains(error(() -> g.matmul(x, w, null, WeightLayout.OUT_IN, "q")), "matmul q", "'h' F32[5, 48]", "48 columns", "'proj' BF16[32, 64]", "expects 64");
        // IN_OUT reads the same weight as [k=32, n=64]
        assertContains(error(() -> g.matmul(x, w, null, WeightLayout.IN_OUT, "q")), "'proj' BF16[32, 64] (IN_OUT) expects 32");
        Tensor ok = g.input("h2", DType.F32, 5, 64);
        Tensor bias = g.input("bias", DType.F32, 1, 31);
        assertContains(error(() -> g.matmul(ok, w, bias, WeightLayout.OUT_IN, "q")), "bias 'bias' F32[1, 31]", "expected [1, 32]");
        Tensor ints = g.input("i", DType.I32, 5, 64);
        assertContains(error(() -> g.matmul(ints, w, null, WeightLayout.OUT_IN, "q")), "'i'", "I32", "expected F32");
    }

    @Test
    void fusedMatmulPartsAreChecked() {
        Tensor x = g.input("h", DType.F32, 5, 64);
        Tensor w = g.weight("proj", 32, 64);
        Tensor norm48 = g.input("norm48", DType.F32, 1, 48);
        assertContains(error(() -> g.matmul(new MatMul(x, w, null, WeightLayout.OUT_IN, new MatMul.Prenorm(norm48, 1e-5f), null, null), "q")),
                "matmul q prenorm weight 'norm48' F32[1, 48]", "expected [1, 64]");
        Tensor upF32 = g.input("upF32", DType.F32, 32, 64);
        assertContains(error(() -> g.matmul(new MatMul(x, w, null, WeightLayout.OUT_IN, null, new MatMul.Gate(upF32, null, Activation.SILU), null), "ffn")),
                "gate's up weight 'upF32' F32[32, 64] must match weight 'proj' BF16[32, 64]");
        Tensor up = g.weight("proj", 32, 64);
        assertContains(error(() -> g.matmul(new MatMul(x, w, null, WeightLayout.OUT_IN, null, new MatMul.Gate(up, null, Activation.SILU),
                        Activation.GELU_ERF, null, null), "ffn")),
                "matmul ffn: a gate (SILU) and an activation (GELU_ERF) together");
        Tensor residual = g.input("residual", DType.F32, 5, 31);
        assertContains(error(() -> g.matmul(new MatMul(x, w, null, WeightLayout.OUT_IN, null, null, residual), "o")),
                "matmul o residual 'residual' F32[5, 31]", "expected [5, 32]");
        Tensor pos = g.input("positions", DType.I32, 5, 1);
        Tensor inv4 = g.constant("inv4", 1, 4, new float[4]);
        MatMul.Rotary badHeads = new MatMul.Rotary(pos, inv4, 5, 8, 8);
        assertContains(error(() -> g.matmul(new MatMul(x, w, null, WeightLayout.OUT_IN, null, null, badHeads, null), "k")),
                "matmul k: output [5, 32]; expected at least 5 heads × 8 = 40 columns");
        MatMul.Rotary leading = new MatMul.Rotary(pos, inv4, 3, 8, 8); // a stacked q/k/v: v's columns are not rotated
        assertEquals(32, g.matmul(new MatMul(x, w, null, WeightLayout.OUT_IN, null, null, leading, null), "qkv").cols());
    }

    @Test
    void ropeDimsAreChecked() {
        Tensor x = g.input("q", DType.F32, 3, 4 * 16);
        Tensor pos = g.input("positions", DType.I32, 3, 1);
        Tensor inv8 = g.constant("inv8", 1, 8, new float[8]);
        assertContains(error(() -> g.rope(x, pos, inv8, 4, 15, 16, "rope")), "4 heads × 15 = 60 columns", "[3, 64]");
        assertContains(error(() -> g.rope(x, pos, inv8, 4, 16, 15, "rope")), "rotary dims 15 must be even and in (0, 16]");
        assertContains(error(() -> g.rope(x, pos, inv8, 4, 16, 18, "rope")), "rotary dims 18");
        assertContains(error(() -> g.rope(x, pos, inv8, 4, 16, 0, "rope")), "rotary dims 0");
        assertContains(error(() -> g.rope(x, pos, inv8, 4, 16, 8, "rope")), "inverse frequencies 'inv8' F32[1, 8]", "expected [1, 4]");
        Tensor pos2 = g.input("positions2", DType.I32, 2, 1);
        assertContains(error(() -> g.rope(x, pos2, inv8, 4, 16, 16, "rope")), "positions 'positions2' I32[2, 1]", "expected [3, 1]");
        Tensor posF = g.input("positionsF", DType.F32, 3, 1);
        assertContains(error(() -> g.rope(x, posF, inv8, 4, 16, 16, "rope")), "'positionsF'", "F32", "expected I32");
    }

    @Test
    void attentionShapesAreChecked() {
        AttentionSpec spec = new AttentionSpec(2, 3, 4, 2, 8, 0.35f, true, 0);
        Tensor q = g.input("q", DType.F32, 6, 32), k = g.input("k", DType.F32, 6, 16), v = g.input("v", DType.F32, 6, 16);
        Tensor past = g.input("past", DType.I32, 2, 1), slots = g.input("slots", DType.I32, 2, 1);
        Tensor wideK = g.input("wideK", DType.F32, 6, 32), shortQ = g.input("shortQ", DType.F32, 5, 32);
        assertContains(error(() -> g.attention(shortQ, k, v, past, slots, null, spec, "attn")), "attention q 'shortQ' F32[5, 32]", "expected [6, 32]");
        assertContains(error(() -> g.attention(q, wideK, v, past, slots, null, spec, "attn")), "attention k 'wideK' F32[6, 32]", "expected [6, 16]");
        assertContains(error(() -> g.attention(q, k, wideK, past, slots, null, spec, "attn")), "attention v 'wideK'", "expected [6, 16]");
        Tensor past3 = g.input("past3", DType.I32, 3, 1);
        assertContains(error(() -> g.attention(q, k, v, past3, slots, null, spec, "attn")), "past lengths 'past3' I32[3, 1]", "expected [2, 1]");
        Tensor slotsF = g.input("slotsF", DType.F32, 2, 1);
        assertContains(error(() -> g.attention(q, k, v, past, slotsF, null, spec, "attn")), "cache slots 'slotsF'", "expected I32");
        Tensor mask = g.input("mask", DType.F32, 3, 3);
        assertContains(error(() -> g.attention(q, k, v, past, slots, mask, spec, "attn")), "attention mask 'mask' F32[3, 3]", "expected 2 rows");
        assertContains(assertThrows(IllegalArgumentException.class, () -> new AttentionSpec(1, 1, 6, 4, 8, 1, true, -1)).getMessage(),
                "heads 6 must be a positive multiple of kv heads 4");
    }

    @Test
    void elementwiseShapesAreChecked() {
        Tensor a = g.input("a", DType.F32, 4, 8), b = g.input("b", DType.F32, 4, 7), row = g.input("row", DType.F32, 2, 8);
        assertContains(error(() -> g.add(a, b, "sum")), "add sum", "'b' F32[4, 7]", "expected the second as [4, 8] or [1, 8]");
        assertContains(error(() -> g.add(a, row, "sum")), "'row' F32[2, 8]");
        assertContains(error(() -> g.gatedActivate(a, b, Activation.SILU, "ffn")), "gated activation up 'b' F32[4, 7]", "expected [4, 8]");
        Tensor ids = g.input("ids", DType.I32, 4, 2);
        assertContains(error(() -> g.embedding(a, ids, "embed")), "embedding ids 'ids' I32[4, 2]", "expected 1 column");
        Tensor w = g.weight("norm", 1, 64);
        assertContains(error(() -> g.rmsNorm(a, w, 1e-5f, "n")), "rms_norm weight 'norm'", "[1, 64]", "expected [1, 8]");
        assertContains(error(() -> g.layerNorm(a, a, null, 1e-5f, "n")), "layer_norm weight 'a' F32[4, 8]", "expected [1, 8]");
    }

    @Test
    void viewsAndOutputsAreChecked() {
        Tensor a = g.input("a", DType.F32, 4, 8);
        assertContains(error(() -> g.columns(a, 5, 4, "tail")), "columns [5, 9) of 'a' F32[4, 8] are out of range");
        assertContains(error(() -> g.columns(a, -1, 2, "tail")), "columns [-1, 1)");
        Tensor view = g.columns(a, 2, 4, "mid");
        assertEquals(a, view.storage());
        assertEquals(2, view.viewOffset());
        assertEquals(8, view.rowStride());
        assertContains(error(() -> g.output("mid", view)), "output 'mid' is a view");
        assertContains(error(() -> g.constant("c", 2, 3, new float[5])), "constant 'c' has 5 values; expected 6");
        assertContains(error(() -> g.input("empty", DType.F32, 0, 3)), "'empty' has shape [0, 3]; expected positive dimensions");
    }

    @Test
    void crossAttentionAndPositionBiasShapesAreChecked() {
        AttentionSpec cross = new AttentionSpec(2, 3, 2, 2, 8, 1f, false, -1, 5);
        Tensor q = g.input("q", DType.F32, 6, 16), k = g.input("k", DType.F32, 10, 16), v = g.input("v", DType.F32, 10, 16);
        Tensor past = g.input("past", DType.I32, 2, 1), slots = g.input("slots", DType.I32, 2, 1);
        assertContains(error(() -> g.attention(q, q, v, past, slots, null, cross, "attn")), "attention k 'q' F32[6, 16]", "expected [10, 16]");
        Tensor bias = g.input("bias", DType.F32, 6 * 4, 2);
        assertContains(error(() -> g.attention(q, k, v, past, slots, null, bias, cross, "attn")), "attention position bias 'bias' F32[24, 2]", "expected [6·5, 2]");
        Tensor wrongHeads = g.input("wrongHeads", DType.F32, 30, 3);
        assertContains(error(() -> g.attention(q, k, v, past, slots, null, wrongHeads, cross, "attn")), "attention position bias 'wrongHeads'", "expected [6·keyCols, 2]");
        Tensor good = g.input("good", DType.F32, 30, 2);
        Tensor out = g.attention(q, k, v, past, slots, null, good, cross, "attn");
        assertEquals("[6, 16]", out.shapeString());
        assertEquals(5, ((Attention) g.build().nodes().get(0).op()).biasKeyCols());
        IllegalArgumentException causal = assertThrows(IllegalArgumentException.class, () -> new AttentionSpec(2, 3, 2, 2, 8, 1f, true, -1, 5));
        assertContains(causal.getMessage(), "kvLen 5 differs from seqLen 3", "only uncached, non-causal attention");
    }
}
