// Shared decoder building blocks (llama.cpp's build_norm / build_attn / build_ffn): the
// standard inputs, attention with optional RoPE, gated or plain FFNs, and the output head.
// Architectures describe themselves through small enums and tensor names.
package dev.strata.engine.model;

import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.ops.Activation;
import dev.strata.engine.ops.AttentionSpec;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.engine.tensor.DType;

final class Blocks {
    private Blocks() {}

    /** The standard decoder inputs. */
    record Inputs(Tensor tokens, Tensor positions, Tensor past, Tensor slots, Tensor lastRows) {
        static Inputs declare(GraphBuilder g, int batch, int seqLen, ForwardOptions o) {
            int rows = batch * seqLen;
            return new Inputs(g.input("tokens", DType.I32, rows, 1), g.input("positions", DType.I32, rows, 1),
                    g.input("past", DType.I32, batch, 1), g.input("slots", DType.I32, batch, 1),
                    o.allLogits() ? null : g.input("last_rows", DType.I32, batch, 1));
        }
    }

    /** Norm kinds: RMS (Llama) or LayerNorm with bias (GPT-2). */
    enum Norm { RMS, LAYER }

    static Tensor norm(GraphBuilder g, Norm kind, Tensor x, String prefix, int dim, float eps, String role, int layer) {
        Tensor w = g.weight(prefix + ".weight", 1, dim);
        Tensor out = kind == Norm.RMS ? g.rmsNorm(x, w, eps, role)
                : g.layerNorm(x, w, g.weight(prefix + ".bias", 1, dim), eps, role);
        return g.name(out, role, layer);
    }

    /** A projection y = x·W (+ b) named prefix.weight / prefix.bias; bias used when present or required. */
    static Tensor linear(GraphBuilder g, Tensor x, String prefix, int in, int out, WeightLayout layout, boolean bias, String role, int layer) {
        Tensor w = layout == WeightLayout.OUT_IN ? g.weight(prefix + ".weight", out, in) : g.weight(prefix + ".weight", in, out);
        Tensor b = bias ? g.weight(prefix + ".bias", 1, out) : null;
        return g.name(g.matmul(x, w, b, layout, role), role, layer);
    }

    /** Self-attention over q/k/v (already projected), with RoPE when invFreq is given; KV-cached at `layer`. */
    static Tensor selfAttention(GraphBuilder g, Inputs in, Tensor q, Tensor k, Tensor v, Tensor invFreq, int rotaryDims,
                                int batch, int seqLen, int heads, int kvHeads, int headDim, int layer) {
        if (invFreq != null) {
            q = g.name(g.rope(q, in.positions(), invFreq, heads, headDim, rotaryDims, "q_rope"), "q_rope", layer);
            k = g.name(g.rope(k, in.positions(), invFreq, kvHeads, headDim, rotaryDims, "k_rope"), "k_rope", layer);
        }
        AttentionSpec spec = new AttentionSpec(batch, seqLen, heads, kvHeads, headDim, (float) (1 / Math.sqrt(headDim)), true, layer);
        return g.name(g.attention(q, k, v, in.past(), in.slots(), null, spec, "attn"), "attn", layer);
    }

    /** act(gate(x)) * up(x), then down: Llama's SwiGLU MLP. */
    static Tensor gatedFfn(GraphBuilder g, Tensor x, String prefix, int dim, int ffn, boolean bias, Activation act, int layer) {
        Tensor gate = linear(g, x, prefix + ".gate_proj", dim, ffn, WeightLayout.OUT_IN, bias, "ffn_gate", layer);
        Tensor up = linear(g, x, prefix + ".up_proj", dim, ffn, WeightLayout.OUT_IN, bias, "ffn_up", layer);
        Tensor h = g.name(g.gatedActivate(gate, up, act, "ffn_act"), "ffn_act", layer);
        return linear(g, h, prefix + ".down_proj", ffn, dim, WeightLayout.OUT_IN, bias, "ffn_out", layer);
    }

    /** Marks hidden_states.{i}; the final-normed state, the optional last-row gather, the LM head and argmax. */
    static void head(GraphBuilder g, Inputs in, Tensor normed, Tensor lmHead, int numLayers, ForwardOptions o) {
        if (o.hiddenStates()) g.output("hidden_states." + numLayers, normed);
        Tensor x = o.allLogits() ? normed : g.name(g.embedding(normed, in.lastRows(), "last_rows"), "last_rows", -1);
        Tensor logits = g.name(g.matmul(x, lmHead, null, WeightLayout.OUT_IN, "logits"), "logits", -1);
        g.output("logits", logits);
        if (o.argmax()) g.output("next_token", g.name(g.argmax(logits, "next_token"), "next_token", -1));
    }

    static void hiddenState(GraphBuilder g, ForwardOptions o, int index, Tensor t) {
        if (o.hiddenStates()) g.output("hidden_states." + index, t);
    }
}
