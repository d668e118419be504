// Llama family: Llama 2/3.x (llama3 RoPE scaling), Mistral, Qwen2 (q/k/v biases).
// Pre-norm RMSNorm blocks, RoPE (rotate-half, optional partial rotary), GQA/MQA, SwiGLU MLP,
// tied or untied LM head.
package dev.strata.engine.model;

import dev.strata.engine.graph.Graph;
import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.graph.WeightCatalog;
import dev.strata.engine.ops.Activation;
import dev.strata.engine.ops.MatMul;
import dev.strata.loader.HfConfig;

public final class Llama implements DecoderModel {
    private final HfConfig c;
    private final float[] invFreq; // [rotaryDim/2]
    private final int contextLimit;

    public Llama(HfConfig config) {
        this.c = config;
        this.invFreq = RopeFrequencies.forCheckpoint(config);
        Activation.fromHf(config.hiddenAct());
        var window = config.raw().path("sliding_window");
        boolean windowed = window.isNumber() && !config.raw().path("use_sliding_window").isBoolean()
                || config.raw().path("use_sliding_window").asBoolean(false);
        this.contextLimit = windowed && window.isNumber() ? Math.min(config.maxPositions(), window.asInt()) : config.maxPositions();
    }

    public HfConfig config() { return c; }

    public int contextLimit() { return contextLimit; }

    public int kvHeads() { return c.numKvHeads(); }

    public int headDim() { return c.headDim(); }

    public Graph build(WeightCatalog weights, int batch, int seqLen, ForwardOptions o) {
        GraphBuilder g = new GraphBuilder(weights);
        Blocks.Inputs in = Blocks.Inputs.declare(g, batch, seqLen, o);
        int d = c.hiddenSize(), hd = c.headDim(), qDim = c.numHeads() * hd;
        float eps = (float) c.normEps();
        Tensor embed = g.weight("model.embed_tokens.weight", c.vocabSize(), d); // [vocab, hidden]
        Tensor freq = g.constant("rope_inv_freq", 1, invFreq.length, invFreq);
        Tensor x = g.name(g.embedding(embed, in.tokens(), "embed"), "embed", -1);
        Blocks.hiddenState(g, o, 0, x);
        Activation act = Activation.fromHf(c.hiddenAct());
        // q/k/v project as one stacked matmul with RoPE fused (Blocks.qkvProjections), the residual
        // adds are fused into o_proj and down_proj, gate/up/act into one op, and in decode-sized
        // graphs the RMSNorms into the matmuls that read them (Blocks.rmsNormed).
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l;
            Blocks.Normed h = Blocks.rmsNormed(g, x, p + ".input_layernorm", d, eps, "attn_norm", l);
            Blocks.Qkv qkv = Blocks.qkvProjections(g, h, p + ".self_attn", d, c.numHeads(), c.numKvHeads(), hd, c.attentionBias(), in.positions(), freq,
                    c.rotaryDim(), l);
            Tensor a = Blocks.selfAttention(g, in, qkv.q(), qkv.k(), qkv.v(), batch, seqLen, c.numHeads(), c.numKvHeads(), hd, l, embed.dtype());
            boolean oBias = c.attentionBias() && g.hasWeight(p + ".self_attn.o_proj.bias");
            x = Blocks.linear(g, new Blocks.Normed(a, null), p + ".self_attn.o_proj", qDim, d, oBias, x, "ffn_inp", l);
            h = Blocks.rmsNormed(g, x, p + ".post_attention_layernorm", d, eps, "ffn_norm", l);
            x = Blocks.gatedFfn(g, h, x, p + ".mlp", d, c.intermediateSize(), c.mlpBias(), act, l);
            if (l < c.numLayers() - 1) Blocks.hiddenState(g, o, l + 1, x);
        }
        Tensor lmHead = c.tieWordEmbeddings() || !g.hasWeight("lm_head.weight") ? embed : g.weight("lm_head.weight", c.vocabSize(), d);
        Blocks.head(g, in, x, new MatMul.Prenorm(g.weight("model.norm.weight", 1, d), eps), lmHead, c.numLayers(), o);
        return g.build();
    }
}
