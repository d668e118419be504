// Fused scaled-dot-product attention (GQA/MQA, causal or not, optional additive mask and
// per-head position bias, KV cache append + read) — one op, never a chain of small ones.
// q: F32 [batch*seqLen, heads*headDim]; k, v: F32 [batch*kvLen, kvHeads*headDim] (views ok;
// kvLen = seqLen unless cross-attention);
// past: I32 [batch, 1], tokens already cached per sequence (absolute position of row (b, i) is
// past[b] + i); slots: I32 [batch, 1], the KV-cache sequence slot of each batch row;
// mask: F32 [batch, maskCols] added to the score of key j < maskCols, or null;
// bias: F32 [batch*seqLen*keyCols, heads] or null (T5's relative position bias): the score of
// (sequence b, head h, query i, key j) gets bias[(b*seqLen + i)*keyCols + j, h] added for
// j < keyCols (keyCols = bias rows / (batch*seqLen): kvLen uncached, the KV capacity cached);
// out: F32 [batch*seqLen, heads*headDim].
package dev.strata.engine.ops;

import dev.strata.engine.graph.Tensor;
import java.util.List;

public record Attention(Tensor q, Tensor k, Tensor v, Tensor past, Tensor slots, Tensor mask, Tensor bias, AttentionSpec spec) implements Op {
    public Attention(Tensor q, Tensor k, Tensor v, Tensor past, Tensor slots, Tensor mask, AttentionSpec spec) {
        this(q, k, v, past, slots, mask, null, spec);
    }

    public OpKind kind() { return OpKind.ATTENTION; }
    public List<Tensor> inputs() { return Inputs.of(q, k, v, past, slots, mask, bias); }

    /** Keys per query row in the bias (0 without bias). */
    public int biasKeyCols() { return bias == null ? 0 : bias.rows() / (spec.batch() * spec.seqLen()); }
}
