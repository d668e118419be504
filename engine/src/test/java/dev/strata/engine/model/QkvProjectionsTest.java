// Blocks.qkvProjections: q/k/v of one dtype project as one matmul over the stacked weight, with
// RoPE over the q and k heads and q, k, v as column views of its output; a checkpoint whose three
// weights differ in dtype keeps three projections (each with its own RoPE, v without).
package dev.strata.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.strata.engine.graph.Graph;
import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.graph.Node;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.graph.WeightCatalog;
import dev.strata.engine.ops.MatMul;
import dev.strata.engine.tensor.DType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QkvProjectionsTest {
    static final int DIM = 32, HEADS = 4, KV_HEADS = 2, HD = 8;

    static Map<String, WeightCatalog.Entry> catalog(DType v) {
        return Map.of("a.q_proj.weight", new WeightCatalog.Entry("a.q_proj.weight", DType.BF16, new long[] {HEADS * HD, DIM}),
                "a.k_proj.weight", new WeightCatalog.Entry("a.k_proj.weight", DType.BF16, new long[] {KV_HEADS * HD, DIM}),
                "a.v_proj.weight", new WeightCatalog.Entry("a.v_proj.weight", v, new long[] {KV_HEADS * HD, DIM}));
    }

    static List<MatMul> build(Map<String, WeightCatalog.Entry> weights, GraphBuilder g, Blocks.Qkv[] out) {
        Tensor x = g.input("x", DType.F32, 3, DIM), pos = g.input("positions", DType.I32, 3, 1);
        Tensor freq = g.constant("inv_freq", 1, HD / 2, new float[HD / 2]);
        out[0] = Blocks.qkvProjections(g, new Blocks.Normed(x, null), "a", DIM, HEADS, KV_HEADS, HD, false, pos, freq, HD, 0);
        g.output("q", g.add(out[0].q(), out[0].q(), "q_out"));
        Graph graph = g.build();
        return graph.nodes().stream().map(Node::op).filter(op -> op instanceof MatMul).map(op -> (MatMul) op).toList();
    }

    @Test
    void oneDtypeProjectsOnceOverTheStackedWeight() {
        Map<String, WeightCatalog.Entry> weights = catalog(DType.BF16);
        Blocks.Qkv[] qkv = new Blocks.Qkv[1];
        List<MatMul> mms = build(weights, new GraphBuilder(weights::get), qkv);
        assertEquals(1, mms.size());
        MatMul mm = mms.getFirst();
        assertEquals(List.of("a.q_proj.weight", "a.k_proj.weight", "a.v_proj.weight"), mm.w().parts());
        assertEquals((HEADS + 2 * KV_HEADS) * HD, mm.n());
        assertEquals(HEADS + KV_HEADS, mm.rotary().heads(), "RoPE over the q and k heads only");
        Tensor storage = qkv[0].q().storage();
        assertSame(storage, qkv[0].k().storage());
        assertSame(storage, qkv[0].v().storage());
        assertEquals(List.of(0L, (long) HEADS * HD, (long) (HEADS + KV_HEADS) * HD),
                List.of(qkv[0].q().viewOffset(), qkv[0].k().viewOffset(), qkv[0].v().viewOffset()));
        assertEquals(List.of("q_rope-0", "k_rope-0", "v-0"), List.of(qkv[0].q().name(), qkv[0].k().name(), qkv[0].v().name()));
    }

    @Test
    void mixedDtypesKeepThreeProjections() {
        Map<String, WeightCatalog.Entry> weights = catalog(DType.F16);
        List<MatMul> mms = build(weights, new GraphBuilder(weights::get), new Blocks.Qkv[1]);
        assertEquals(List.of("a.q_proj.weight", "a.k_proj.weight", "a.v_proj.weight"), mms.stream().map(m -> m.w().source()).toList());
        assertEquals(HEADS, mms.get(0).rotary().heads());
        assertEquals(KV_HEADS, mms.get(1).rotary().heads());
        assertNull(mms.get(2).rotary());
    }
}
