// Shared decoder building blocks (llama.cpp's build_norm / build_attn / build_ffn): the
// standard inputs, attention with optional RoPE, gated or plain FFNs, and the output head.
// Architectures describe themselves through small enums and tensor names.
package dev.strata.engine.model;

import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.ops.Activation;
import dev.strata.engine.ops.AttentionSpec;
import dev.strata.engine.ops.MatMul;
import dev.strata.engine.ops.Sample;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.engine.tensor.DType;
import java.util.List;

final class Blocks {
    private Blocks() {}

    /**
     * The standard decoder inputs; lastRows is null with allLogits and for one new token per
     * sequence (each row is then its sequence's last: the logits take the rows as they are).
     */
    record Inputs(Tensor tokens, Tensor positions, Tensor past, Tensor slots, Tensor lastRows) {
        static Inputs declare(GraphBuilder g, int batch, int seqLen, ForwardOptions o) {
            int rows = batch * seqLen;
            return new Inputs(g.input("tokens", DType.I32, rows, 1), g.input("positions", DType.I32, rows, 1),
                    g.input("past", DType.I32, batch, 1), g.input("slots", DType.I32, batch, 1),
                    o.allLogits() || seqLen == 1 ? null : g.input("last_rows", DType.I32, batch, 1));
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
        return linear(g, x, prefix, in, out, layout, bias, null, null, role, layer);
    }

    /**
     * The same with its fused epilogue: act(x·W (+ b)) (+ residual); act and residual may be null
     * (a plain MLP's up projection; an output projection with the block's residual add).
     */
    static Tensor linear(GraphBuilder g, Tensor x, String prefix, int in, int out, WeightLayout layout, boolean bias, Activation act,
                         Tensor residual, String role, int layer) {
        Tensor w = layout == WeightLayout.OUT_IN ? g.weight(prefix + ".weight", out, in) : g.weight(prefix + ".weight", in, out);
        Tensor b = bias ? g.weight(prefix + ".bias", 1, out) : null;
        return g.name(g.matmul(new MatMul(x, w, b, layout, null, null, act, null, residual), role), role, layer);
    }

    /**
     * Causal self-attention over q/k/v (projected, RoPE already applied where the model has it); KV-cached at `layer`.
     * weights: the dtype the model's weights are stored in; a 16-bit model lets attention's products run in it
     * (AttentionSpec.compute).
     */
    static Tensor selfAttention(GraphBuilder g, Inputs in, Tensor q, Tensor k, Tensor v, int batch, int seqLen, int heads, int kvHeads,
                                int headDim, int layer, DType weights) {
        AttentionSpec spec = new AttentionSpec(batch, seqLen, heads, kvHeads, headDim, (float) (1 / Math.sqrt(headDim)), true, layer)
                .withCompute(weights == DType.BF16 || weights == DType.F16 ? weights : DType.F32);
        return g.name(g.attention(q, k, v, in.past(), in.slots(), null, spec, "attn"), "attn", layer);
    }

    /** Rows that feed matmuls: x with the RMSNorm still to apply (prenorm), or already normalised (prenorm null). */
    record Normed(Tensor x, MatMul.Prenorm prenorm) {}

    /**
     * RMSNorm (weight prefix.weight [1, dim]) of rows that only matmuls read: fused into those
     * matmuls when the graph has at most MatMul.PRENORM_FUSION_MAX_ROWS rows (decode: the GEMV
     * takes the norm in its one pass over x), else one RmsNorm node shared by all of them.
     */
    static Normed rmsNormed(GraphBuilder g, Tensor x, String prefix, int dim, float eps, String role, int layer) {
        MatMul.Prenorm prenorm = new MatMul.Prenorm(g.weight(prefix + ".weight", 1, dim), eps);
        if (x.rows() <= MatMul.PRENORM_FUSION_MAX_ROWS) return new Normed(x, prenorm);
        return new Normed(g.name(g.rmsNorm(x, prenorm.weight(), eps, role), role, layer), null);
    }

    /** A torch Linear (OUT_IN) with its fused parts: y = norm(x)·W (+ b) (+ residual). */
    static Tensor linear(GraphBuilder g, Normed x, String prefix, int in, int out, boolean bias, Tensor residual, String role, int layer) {
        return linear(g, x, prefix, in, out, bias, null, residual, role, layer);
    }

    /** The same with RoPE on the output (q and k projections). */
    static Tensor linear(GraphBuilder g, Normed x, String prefix, int in, int out, boolean bias, MatMul.Rotary rotary, Tensor residual,
                         String role, int layer) {
        Tensor w = g.weight(prefix + ".weight", out, in);
        Tensor b = bias ? g.weight(prefix + ".bias", 1, out) : null;
        return g.name(g.matmul(new MatMul(x.x(), w, b, WeightLayout.OUT_IN, x.prenorm(), null, rotary, residual), role), role, layer);
    }

    /**
     * Whether q, k and v project as one matmul over their stacked weights (system property
     * strata.stackedQkv, default true; false keeps three matmuls, for A/B timing). Read once: a
     * model's graphs must agree, as they share its resident weights.
     */
    static final boolean STACKED_QKV = Boolean.parseBoolean(System.getProperty("strata.stackedQkv", "true"));

    /** A self-attention block's projected queries, keys and values. */
    record Qkv(Tensor q, Tensor k, Tensor v) {}

    /**
     * The q, k and v projections (prefix.{q,k,v}_proj, torch Linear) of normed rows, with RoPE
     * (rotate-half over rotaryDims of each head) on q and k. Stacked: one matmul over the [q; k; v]
     * weight (one decode GEMV instead of three), RoPE over its first heads + kvHeads heads, and
     * q, k, v column views of its output; three matmuls where stacking is off or the three
     * weights (or biases) do not share a dtype.
     */
    static Qkv qkvProjections(GraphBuilder g, Normed h, String prefix, int dim, int heads, int kvHeads, int headDim, boolean bias,
                              Tensor positions, Tensor invFreq, int rotaryDims, int layer) {
        int qDim = heads * headDim, kvDim = kvHeads * headDim;
        List<String> names = List.of(prefix + ".q_proj", prefix + ".k_proj", prefix + ".v_proj");
        if (!STACKED_QKV || !sameDtype(g, names, ".weight") || bias && !sameDtype(g, names, ".bias")) {
            MatMul.Rotary qRope = new MatMul.Rotary(positions, invFreq, heads, headDim, rotaryDims);
            MatMul.Rotary kRope = new MatMul.Rotary(positions, invFreq, kvHeads, headDim, rotaryDims);
            return new Qkv(linear(g, h, names.get(0), dim, qDim, bias, qRope, null, "q_rope", layer),
                    linear(g, h, names.get(1), dim, kvDim, bias, kRope, null, "k_rope", layer),
                    linear(g, h, names.get(2), dim, kvDim, bias, null, "v", layer));
        }
        int[] rows = {qDim, kvDim, kvDim};
        Tensor w = g.stackedRows(suffixed(names, ".weight"), rows, dim);
        Tensor b = bias ? g.concatenated(suffixed(names, ".bias"), rows) : null;
        MatMul.Rotary rope = new MatMul.Rotary(positions, invFreq, heads + kvHeads, headDim, rotaryDims);
        Tensor qkv = g.name(g.matmul(new MatMul(h.x(), w, b, WeightLayout.OUT_IN, h.prenorm(), null, rope, null), "qkv"), "qkv", layer);
        return new Qkv(g.name(g.columns(qkv, 0, qDim, "q_rope"), "q_rope", layer), g.name(g.columns(qkv, qDim, kvDim, "k_rope"), "k_rope", layer),
                g.name(g.columns(qkv, qDim + kvDim, kvDim, "v"), "v", layer));
    }

    private static boolean sameDtype(GraphBuilder g, List<String> prefixes, String suffix) {
        return suffixed(prefixes, suffix).stream().map(g::weightDtype).distinct().count() == 1;
    }

    private static List<String> suffixed(List<String> prefixes, String suffix) { return prefixes.stream().map(p -> p + suffix).toList(); }

    /**
     * Llama's SwiGLU MLP with the block's RMSNorm and residual fused: two matmuls, the first
     * computing act(gate(norm(x))) * up(norm(x)), the second down(·) + residual.
     */
    static Tensor gatedFfn(GraphBuilder g, Normed in, Tensor residual, String prefix, int dim, int ffn, boolean bias, Activation act, int layer) {
        Tensor gate = g.weight(prefix + ".gate_proj.weight", ffn, dim), up = g.weight(prefix + ".up_proj.weight", ffn, dim);
        Tensor gateBias = bias ? g.weight(prefix + ".gate_proj.bias", 1, ffn) : null;
        Tensor upBias = bias ? g.weight(prefix + ".up_proj.bias", 1, ffn) : null;
        MatMul gated = new MatMul(in.x(), gate, gateBias, WeightLayout.OUT_IN, in.prenorm(), new MatMul.Gate(up, upBias, act), null);
        Tensor h = g.name(g.matmul(gated, "ffn_act"), "ffn_act", layer);
        return linear(g, new Normed(h, null), prefix + ".down_proj", ffn, dim, bias, residual, "l_out", layer);
    }

    /**
     * Marks hidden_states.{numLayers}; the last-row gather (where in.lastRows() is not null), the LM head and the next token. With a
     * prenorm the final norm is fused into the LM head (after the gather, so only the rows that get
     * logits are normalised), unless hidden states are wanted: HF's last one is the normed state.
     */
    static void head(GraphBuilder g, Inputs in, Tensor x, MatMul.Prenorm prenorm, Tensor lmHead, int numLayers, ForwardOptions o) {
        if (prenorm != null && o.hiddenStates()) {
            x = g.name(g.rmsNorm(x, prenorm.weight(), prenorm.eps(), "result_norm"), "result_norm", -1);
            prenorm = null;
        }
        if (o.hiddenStates()) g.output("hidden_states." + numLayers, x);
        Tensor rows = in.lastRows() == null ? x : g.name(g.embedding(x, in.lastRows(), "last_rows"), "last_rows", -1);
        Tensor logits = g.name(g.matmul(new MatMul(rows, lmHead, null, WeightLayout.OUT_IN, prenorm, null, null), "logits"), "logits", -1);
        g.output("logits", logits);
        nextToken(g, logits, o);
    }

    /** The output next_token [rows, 1] of the logits, as the options ask: argmax, or drawn under the input "sampling". */
    static void nextToken(GraphBuilder g, Tensor logits, ForwardOptions o) {
        Tensor next = switch (o.nextToken()) {
            case NONE -> null;
            case ARGMAX -> g.argmax(logits, "next_token");
            case SAMPLE -> g.sample(logits, g.input("sampling", DType.I32, logits.rows(), Sample.PARAMS), "next_token");
        };
        if (next != null) g.output("next_token", g.name(next, "next_token", -1));
    }

    static void hiddenState(GraphBuilder g, ForwardOptions o, int index, Tensor t) {
        if (o.hiddenStates()) g.output("hidden_states." + index, t);
    }
}
