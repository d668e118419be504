// Fused scaled-dot-product attention (GQA/MQA, causal or not, optional additive mask, KV cache
// append + read) — one op, never a chain of small ones.
// q: F32 [batch*seqLen, heads*headDim]; k, v: F32 [batch*seqLen, kvHeads*headDim] (views ok);
// past: I32 [batch, 1], tokens already cached per sequence (absolute position of row (b, i) is
// past[b] + i); slots: I32 [batch, 1], the KV-cache sequence slot of each batch row;
// mask: F32 [batch, maskCols] added to the score of key j < maskCols, or null;
// out: F32 [batch*seqLen, heads*headDim].
package dev.strata.engine.ops;

import dev.strata.engine.graph.Tensor;
import java.util.List;

public record Attention(Tensor q, Tensor k, Tensor v, Tensor past, Tensor slots, Tensor mask, AttentionSpec spec) implements Op {
    public OpKind kind() { return OpKind.ATTENTION; }
    public List<Tensor> inputs() { return Inputs.of(q, k, v, past, slots, mask); }
}
