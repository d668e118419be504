// T5 (T5ForConditionalGeneration): pre-norm blocks with T5's scale-only RMS norm, attention
// without 1/sqrt(d) scaling plus a learned relative position bias (computed by layer 0's
// relative_attention_bias table of the encoder and of the decoder, reused by every layer),
// relu or gated-gelu (tanh GELU) FFNs, shared token embeddings, tied or untied LM head
// (d_model^-0.5 rescale of the decoder output when the config asks for it).
package dev.strata.engine.model;

import dev.strata.engine.graph.Graph;
import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.graph.WeightCatalog;
import dev.strata.engine.model.Blocks.Norm;
import dev.strata.engine.model.Seq2SeqBlocks.DecoderInputs;
import dev.strata.engine.model.Seq2SeqBlocks.EncoderInputs;
import dev.strata.engine.ops.Activation;
import dev.strata.engine.ops.AttentionSpec;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.loader.EncoderDecoderConfig;
import dev.strata.loader.HfConfig;

public final class T5 implements EncoderDecoderModel {
    private final HfConfig config;
    private final EncoderDecoderConfig c;
    private final Activation act;

    public T5(HfConfig config) {
        this.config = config;
        this.c = config.encoderDecoder();
        this.act = Activation.fromHf(c.activation());
    }

    public HfConfig config() { return config; }

    public EncoderDecoderConfig encoderDecoder() { return c; }

    public int positionLimit() { return Integer.MAX_VALUE; }

    public Graph buildEncoder(WeightCatalog weights, int batch, int srcLen) {
        GraphBuilder g = new GraphBuilder(weights);
        EncoderInputs in = EncoderInputs.declare(g, batch, srcLen, false, true);
        int d = c.dModel(), inner = c.encoderHeads() * c.headDim();
        Tensor shared = g.weight("shared.weight", c.vocabSize(), d); // [vocab, d_model]
        Tensor x = g.name(g.embedding(shared, in.tokens(), "embed"), "embed", -1);
        g.output("hidden_states.0", x);
        Tensor table = g.weight("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", c.relativeBuckets(), c.encoderHeads()); // [buckets, heads]
        Tensor bias = g.name(g.embedding(table, in.buckets(), "pos_bias"), "pos_bias", -1); // [batch*srcLen*srcLen, heads]
        AttentionSpec spec = new AttentionSpec(batch, srcLen, c.encoderHeads(), c.encoderHeads(), c.headDim(), 1f, false, -1);
        for (int l = 0; l < c.encoderLayers(); l++) {
            String p = "encoder.block." + l + ".layer.";
            Tensor h = norm(g, x, p + "0.layer_norm", "attn_norm", l);
            Tensor q = Blocks.linear(g, h, p + "0.SelfAttention.q", d, inner, WeightLayout.OUT_IN, false, "q", l);
            Tensor k = Blocks.linear(g, h, p + "0.SelfAttention.k", d, inner, WeightLayout.OUT_IN, false, "k", l);
            Tensor v = Blocks.linear(g, h, p + "0.SelfAttention.v", d, inner, WeightLayout.OUT_IN, false, "v", l);
            Tensor a = g.name(g.attention(q, k, v, in.past(), in.slots(), in.mask(), bias, spec, "attn"), "attn", l);
            Tensor o = Blocks.linear(g, a, p + "0.SelfAttention.o", inner, d, WeightLayout.OUT_IN, false, "attn_out", l);
            x = g.name(g.add(x, o, "ffn_inp"), "ffn_inp", l);
            x = g.name(g.add(x, ffn(g, norm(g, x, p + "1.layer_norm", "ffn_norm", l), p + "1.DenseReluDense", c.encoderFfn(), l), "l_out"), "l_out", l);
            if (l < c.encoderLayers() - 1) g.output("hidden_states." + (l + 1), x);
        }
        Tensor out = norm(g, x, "encoder.final_layer_norm", "result_norm", -1);
        g.output("hidden_states." + c.encoderLayers(), out);
        int decInner = c.decoderHeads() * c.headDim();
        for (int l = 0; l < c.decoderLayers(); l++) {
            String p = "decoder.block." + l + ".layer.1.EncDecAttention.";
            Seq2SeqBlocks.crossKv(g, Blocks.linear(g, out, p + "k", d, decInner, WeightLayout.OUT_IN, false, "cross_k", l),
                    Blocks.linear(g, out, p + "v", d, decInner, WeightLayout.OUT_IN, false, "cross_v", l), l);
        }
        return g.build();
    }

    public Graph buildDecoder(WeightCatalog weights, int batch, int srcLen, int seqLen, int capacity, ForwardOptions o) {
        GraphBuilder g = new GraphBuilder(weights);
        DecoderInputs in = DecoderInputs.declare(g, batch, srcLen, seqLen, capacity, o, false, true);
        int d = c.dModel(), heads = c.decoderHeads(), inner = heads * c.headDim();
        Tensor shared = g.weight("shared.weight", c.vocabSize(), d); // [vocab, d_model]
        Tensor x = g.name(g.embedding(shared, in.tokens(), "embed"), "embed", -1);
        Seq2SeqBlocks.hiddenState(g, o, 0, x);
        Tensor table = g.weight("decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", c.relativeBuckets(), heads); // [buckets, heads]
        Tensor bias = g.name(g.embedding(table, in.buckets(), "pos_bias"), "pos_bias", -1); // [batch*seqLen*capacity, heads]
        for (int l = 0; l < c.decoderLayers(); l++) {
            String p = "decoder.block." + l + ".layer.";
            Tensor h = norm(g, x, p + "0.layer_norm", "attn_norm", l);
            Tensor q = Blocks.linear(g, h, p + "0.SelfAttention.q", d, inner, WeightLayout.OUT_IN, false, "q", l);
            Tensor k = Blocks.linear(g, h, p + "0.SelfAttention.k", d, inner, WeightLayout.OUT_IN, false, "k", l);
            Tensor v = Blocks.linear(g, h, p + "0.SelfAttention.v", d, inner, WeightLayout.OUT_IN, false, "v", l);
            AttentionSpec self = new AttentionSpec(batch, seqLen, heads, heads, c.headDim(), 1f, true, l);
            Tensor a = g.name(g.attention(q, k, v, in.past(), in.slots(), null, bias, self, "attn"), "attn", l);
            Tensor ao = Blocks.linear(g, a, p + "0.SelfAttention.o", inner, d, WeightLayout.OUT_IN, false, "attn_out", l);
            x = g.name(g.add(x, ao, "cross_inp"), "cross_inp", l);
            h = norm(g, x, p + "1.layer_norm", "cross_norm", l);
            Tensor cq = Blocks.linear(g, h, p + "1.EncDecAttention.q", d, inner, WeightLayout.OUT_IN, false, "cross_q", l);
            Tensor ca = Seq2SeqBlocks.crossAttention(g, in, cq, batch, srcLen, seqLen, heads, c.headDim(), 1f, l);
            Tensor co = Blocks.linear(g, ca, p + "1.EncDecAttention.o", inner, d, WeightLayout.OUT_IN, false, "cross_out", l);
            x = g.name(g.add(x, co, "ffn_inp"), "ffn_inp", l);
            x = g.name(g.add(x, ffn(g, norm(g, x, p + "2.layer_norm", "ffn_norm", l), p + "2.DenseReluDense", c.decoderFfn(), l), "l_out"), "l_out", l);
            if (l < c.decoderLayers() - 1) Seq2SeqBlocks.hiddenState(g, o, l + 1, x);
        }
        Tensor out = norm(g, x, "decoder.final_layer_norm", "result_norm", -1);
        Seq2SeqBlocks.hiddenState(g, o, c.decoderLayers(), out);
        if (c.scaleDecoderOutputs()) out = g.name(g.scale(out, (float) (1 / Math.sqrt(d)), "result_scaled"), "result_scaled", -1);
        Tensor lmHead = c.tieWordEmbeddings() ? shared : g.weight("lm_head.weight", c.vocabSize(), d); // untied: lm_head is required
        Seq2SeqBlocks.head(g, in, out, lmHead, null, o);
        return g.build();
    }

    private Tensor norm(GraphBuilder g, Tensor x, String prefix, String role, int layer) {
        return Blocks.norm(g, Norm.RMS, x, prefix, c.dModel(), (float) c.normEps(), role, layer);
    }

    /** wo(act(wi_0·x) * wi_1·x) (gated) or wo(act(wi·x)). */
    private Tensor ffn(GraphBuilder g, Tensor h, String prefix, int ff, int l) {
        int d = c.dModel();
        Tensor mid;
        if (c.gatedFfn()) {
            Tensor gate = Blocks.linear(g, h, prefix + ".wi_0", d, ff, WeightLayout.OUT_IN, false, "ffn_gate", l);
            Tensor up = Blocks.linear(g, h, prefix + ".wi_1", d, ff, WeightLayout.OUT_IN, false, "ffn_up", l);
            mid = g.name(g.gatedActivate(gate, up, act, "ffn_act"), "ffn_act", l);
        } else {
            mid = Blocks.linear(g, h, prefix + ".wi", d, ff, WeightLayout.OUT_IN, false, act, null, "ffn_act", l);
        }
        return Blocks.linear(g, mid, prefix + ".wo", ff, d, WeightLayout.OUT_IN, false, "ffn_out", l);
    }
}
