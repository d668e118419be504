// Building blocks shared by the encoder-decoder architectures: the graph inputs of
// EncoderDecoderModel's contract, cross-attention over the encoder's device-resident K/V, and the
// output head.
package dev.strata.engine.model;

import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.ops.AttentionSpec;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.engine.tensor.DType;

final class Seq2SeqBlocks {
    private Seq2SeqBlocks() {}

    /** Encoder inputs; positions and buckets are null where the architecture does not use them. */
    record EncoderInputs(Tensor tokens, Tensor positions, Tensor mask, Tensor past, Tensor slots, Tensor buckets) {
        static EncoderInputs declare(GraphBuilder g, int batch, int srcLen, boolean positions, boolean buckets) {
            int rows = batch * srcLen;
            return new EncoderInputs(g.input("tokens", DType.I32, rows, 1), positions ? g.input("positions", DType.I32, rows, 1) : null,
                    g.input("mask", DType.F32, batch, srcLen), g.input("past", DType.I32, batch, 1), g.input("slots", DType.I32, batch, 1),
                    buckets ? g.input("position_buckets", DType.I32, Math.multiplyExact(rows, srcLen), 1) : null);
        }
    }

    /** Decoder inputs; positions and buckets are null where unused, lastRows null with allLogits or one new token per sequence. */
    record DecoderInputs(Tensor tokens, Tensor positions, Tensor past, Tensor slots, Tensor lastRows, Tensor crossMask, Tensor buckets) {
        static DecoderInputs declare(GraphBuilder g, int batch, int srcLen, int seqLen, int capacity, ForwardOptions o,
                                     boolean positions, boolean buckets) {
            int rows = batch * seqLen;
            return new DecoderInputs(g.input("tokens", DType.I32, rows, 1), positions ? g.input("positions", DType.I32, rows, 1) : null,
                    g.input("past", DType.I32, batch, 1), g.input("slots", DType.I32, batch, 1),
                    o.allLogits() || seqLen == 1 ? null : g.input("last_rows", DType.I32, batch, 1), g.input("cross_mask", DType.F32, batch, srcLen),
                    buckets ? g.input("position_buckets", DType.I32, Math.multiplyExact(rows, capacity), 1) : null);
        }
    }

    /** Marks an encoder output for decoder layer `layer`'s cross-attention ("cross_k.3"). */
    static void crossKv(GraphBuilder g, Tensor k, Tensor v, int layer) {
        g.output("cross_k." + layer, k);
        g.output("cross_v." + layer, v);
    }

    /** Attention of q over the encoder's keys/values of decoder layer `layer`, padding masked. */
    static Tensor crossAttention(GraphBuilder g, DecoderInputs in, Tensor q, int batch, int srcLen, int seqLen, int heads, int headDim,
                                 float scale, int layer) {
        int width = heads * headDim;
        Tensor k = g.external("cross_k." + layer, DType.F32, batch * srcLen, width);
        Tensor v = g.external("cross_v." + layer, DType.F32, batch * srcLen, width);
        AttentionSpec spec = new AttentionSpec(batch, seqLen, heads, heads, headDim, scale, false, -1, srcLen);
        return g.name(g.attention(q, k, v, in.past(), in.slots(), in.crossMask(), null, spec, "cross_attn"), "cross_attn", layer);
    }

    static void hiddenState(GraphBuilder g, ForwardOptions o, int index, Tensor t) {
        if (o.hiddenStates()) g.output("hidden_states." + index, t);
    }

    /** Optional last-row gather, LM head (with an optional [1, vocab] logits bias) and the next token (Blocks.nextToken). */
    static void head(GraphBuilder g, DecoderInputs in, Tensor x, Tensor lmHead, Tensor logitsBias, ForwardOptions o) {
        Tensor rows = in.lastRows() == null ? x : g.name(g.embedding(x, in.lastRows(), "last_rows"), "last_rows", -1);
        Tensor logits = g.name(g.matmul(rows, lmHead, logitsBias, WeightLayout.OUT_IN, "logits"), "logits", -1);
        g.output("logits", logits);
        Blocks.nextToken(g, logits, o);
    }
}
