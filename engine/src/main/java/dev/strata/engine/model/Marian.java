// Marian / opus-mt (MarianMTModel): sinusoidal positions (transformers' table: sin in the first
// half of the dims, cos in the second, computed in double and stored as float; a checkpoint's own
// embed_positions.weight wins when present), token embeddings scaled by sqrt(d_model) when
// scale_embedding, post-LN blocks (LayerNorm after each residual add), biased projections,
// swish/gelu FFN, embeddings shared by encoder, decoder and the tied LM head, final_logits_bias.
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

public final class Marian implements EncoderDecoderModel {
    private final HfConfig config;
    private final EncoderDecoderConfig c;
    private final Activation act;

    public Marian(HfConfig config) {
        this.config = config;
        this.c = config.encoderDecoder();
        this.act = Activation.fromHf(c.activation());
    }

    public HfConfig config() { return config; }

    public EncoderDecoderConfig encoderDecoder() { return c; }

    public int positionLimit() { return c.maxPositions(); }

    /** MarianSinusoidalPositionalEmbedding: row p = [sin(p / 10000^(2i/d)) for i < d/2, cos(...) for i < d/2]. */
    static float[] sinusoidalTable(int positions, int d) {
        float[] out = new float[Math.multiplyExact(positions, d)];
        int half = d / 2, sinCols = d % 2 == 0 ? half : half + 1;
        for (int p = 0; p < positions; p++) {
            for (int j = 0; j < d; j++) {
                double angle = p / Math.pow(10000, 2 * (j / 2) / (double) d);
                if (j % 2 == 0) out[p * d + j / 2] = (float) Math.sin(angle);
                else out[p * d + sinCols + j / 2] = (float) Math.cos(angle);
            }
        }
        return out;
    }

    private Tensor positionTable(GraphBuilder g, String prefix) {
        String stored = prefix + ".embed_positions.weight";
        if (g.hasWeight(stored)) return g.weight(stored, c.maxPositions(), c.dModel());
        return g.constant("sinusoidal_positions", c.maxPositions(), c.dModel(), sinusoidalTable(c.maxPositions(), c.dModel()));
    }

    /** embed_tokens(ids) · sqrt(d) (scale_embedding) + positions. */
    private Tensor embed(GraphBuilder g, Tensor shared, Tensor tokens, Tensor positions, String prefix) {
        Tensor x = g.name(g.embedding(shared, tokens, "tok_embd"), "tok_embd", -1);
        if (c.scaleEmbedding()) x = g.name(g.scale(x, (float) Math.sqrt(c.dModel()), "tok_embd_scaled"), "tok_embd_scaled", -1);
        Tensor pos = g.name(g.embedding(positionTable(g, prefix), positions, "pos_embd"), "pos_embd", -1);
        return g.name(g.add(x, pos, "embed"), "embed", -1);
    }

    private float scale() { return (float) (1 / Math.sqrt(c.headDim())); }

    public Graph buildEncoder(WeightCatalog weights, int batch, int srcLen) {
        GraphBuilder g = new GraphBuilder(weights);
        EncoderInputs in = EncoderInputs.declare(g, batch, srcLen, true, false);
        int d = c.dModel(), heads = c.encoderHeads();
        Tensor shared = g.weight("model.shared.weight", c.vocabSize(), d); // [vocab, d_model]
        Tensor x = embed(g, shared, in.tokens(), in.positions(), "model.encoder");
        g.output("hidden_states.0", x);
        AttentionSpec spec = new AttentionSpec(batch, srcLen, heads, heads, c.headDim(), scale(), false, -1);
        for (int l = 0; l < c.encoderLayers(); l++) {
            String p = "model.encoder.layers." + l;
            Tensor q = Blocks.linear(g, x, p + ".self_attn.q_proj", d, d, WeightLayout.OUT_IN, true, "q", l);
            Tensor k = Blocks.linear(g, x, p + ".self_attn.k_proj", d, d, WeightLayout.OUT_IN, true, "k", l);
            Tensor v = Blocks.linear(g, x, p + ".self_attn.v_proj", d, d, WeightLayout.OUT_IN, true, "v", l);
            Tensor a = g.name(g.attention(q, k, v, in.past(), in.slots(), in.mask(), spec, "attn"), "attn", l);
            Tensor o = Blocks.linear(g, a, p + ".self_attn.out_proj", d, d, WeightLayout.OUT_IN, true, "attn_out", l);
            x = postNorm(g, x, o, p + ".self_attn_layer_norm", "attn_norm", l);
            x = postNorm(g, x, ffn(g, x, p, c.encoderFfn(), l), p + ".final_layer_norm", "l_out", l);
            g.output("hidden_states." + (l + 1), x);
        }
        for (int l = 0; l < c.decoderLayers(); l++) {
            String p = "model.decoder.layers." + l + ".encoder_attn.";
            Seq2SeqBlocks.crossKv(g, Blocks.linear(g, x, p + "k_proj", d, d, WeightLayout.OUT_IN, true, "cross_k", l),
                    Blocks.linear(g, x, p + "v_proj", d, d, WeightLayout.OUT_IN, true, "cross_v", l), l);
        }
        return g.build();
    }

    public Graph buildDecoder(WeightCatalog weights, int batch, int srcLen, int seqLen, int capacity, ForwardOptions o) {
        GraphBuilder g = new GraphBuilder(weights);
        DecoderInputs in = DecoderInputs.declare(g, batch, srcLen, seqLen, capacity, o, true, false);
        int d = c.dModel(), heads = c.decoderHeads();
        Tensor shared = g.weight("model.shared.weight", c.vocabSize(), d); // [vocab, d_model]
        Tensor x = embed(g, shared, in.tokens(), in.positions(), "model.decoder");
        Seq2SeqBlocks.hiddenState(g, o, 0, x);
        for (int l = 0; l < c.decoderLayers(); l++) {
            String p = "model.decoder.layers." + l;
            Tensor q = Blocks.linear(g, x, p + ".self_attn.q_proj", d, d, WeightLayout.OUT_IN, true, "q", l);
            Tensor k = Blocks.linear(g, x, p + ".self_attn.k_proj", d, d, WeightLayout.OUT_IN, true, "k", l);
            Tensor v = Blocks.linear(g, x, p + ".self_attn.v_proj", d, d, WeightLayout.OUT_IN, true, "v", l);
            AttentionSpec self = new AttentionSpec(batch, seqLen, heads, heads, c.headDim(), scale(), true, l);
            Tensor a = g.name(g.attention(q, k, v, in.past(), in.slots(), null, self, "attn"), "attn", l);
            Tensor ao = Blocks.linear(g, a, p + ".self_attn.out_proj", d, d, WeightLayout.OUT_IN, true, "attn_out", l);
            x = postNorm(g, x, ao, p + ".self_attn_layer_norm", "attn_norm", l);
            Tensor cq = Blocks.linear(g, x, p + ".encoder_attn.q_proj", d, d, WeightLayout.OUT_IN, true, "cross_q", l);
            Tensor ca = Seq2SeqBlocks.crossAttention(g, in, cq, batch, srcLen, seqLen, heads, c.headDim(), scale(), l);
            Tensor co = Blocks.linear(g, ca, p + ".encoder_attn.out_proj", d, d, WeightLayout.OUT_IN, true, "cross_out", l);
            x = postNorm(g, x, co, p + ".encoder_attn_layer_norm", "cross_norm", l);
            x = postNorm(g, x, ffn(g, x, p, c.decoderFfn(), l), p + ".final_layer_norm", "l_out", l);
            Seq2SeqBlocks.hiddenState(g, o, l + 1, x);
        }
        Tensor lmHead = c.tieWordEmbeddings() || !g.hasWeight("lm_head.weight") ? shared : g.weight("lm_head.weight", c.vocabSize(), d);
        Tensor logitsBias = g.hasWeight("final_logits_bias") ? g.weight("final_logits_bias", 1, c.vocabSize()) : null; // [1, vocab]
        Seq2SeqBlocks.head(g, in, x, lmHead, logitsBias, o);
        return g.build();
    }

    /** LayerNorm(x + sub): Marian's post-LN residual. */
    private Tensor postNorm(GraphBuilder g, Tensor x, Tensor sub, String prefix, String role, int l) {
        Tensor sum = g.name(g.add(x, sub, role + "_inp"), role + "_inp", l);
        return Blocks.norm(g, Norm.LAYER, sum, prefix, c.dModel(), (float) c.normEps(), role, l);
    }

    /** fc2(act(fc1(x))). */
    private Tensor ffn(GraphBuilder g, Tensor x, String p, int ff, int l) {
        Tensor h = Blocks.linear(g, x, p + ".fc1", c.dModel(), ff, WeightLayout.OUT_IN, true, act, null, "ffn_act", l);
        return Blocks.linear(g, h, p + ".fc2", ff, c.dModel(), WeightLayout.OUT_IN, true, "ffn_out", l);
    }
}
