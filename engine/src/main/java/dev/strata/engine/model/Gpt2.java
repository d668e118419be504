// GPT-2: learned absolute positions, pre-norm LayerNorm blocks, fused c_attn in Conv1D layout
// ([in, out], read as stored and split by views), tanh GELU MLP, LM head tied to wte.
package dev.strata.engine.model;

import dev.strata.engine.graph.Graph;
import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.graph.WeightCatalog;
import dev.strata.engine.model.Blocks.Norm;
import dev.strata.engine.ops.Activation;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.loader.HfConfig;

public final class Gpt2 implements DecoderModel {
    private final HfConfig c;

    public Gpt2(HfConfig config) {
        this.c = config;
        Activation.fromHf(config.hiddenAct());
    }

    public HfConfig config() { return c; }

    public int contextLimit() { return c.maxPositions(); }

    public int kvHeads() { return c.numHeads(); }

    public int headDim() { return c.headDim(); }

    public Graph build(WeightCatalog weights, int batch, int seqLen, ForwardOptions o) {
        GraphBuilder g = new GraphBuilder(weights);
        Blocks.Inputs in = Blocks.Inputs.declare(g, batch, seqLen, o);
        int d = c.hiddenSize(), hd = c.headDim(), heads = c.numHeads();
        float eps = (float) c.normEps();
        Tensor wte = g.weight("transformer.wte.weight", c.vocabSize(), d);   // [vocab, hidden]
        Tensor wpe = g.weight("transformer.wpe.weight", c.maxPositions(), d); // [positions, hidden]
        Tensor tok = g.name(g.embedding(wte, in.tokens(), "tok_embd"), "tok_embd", -1);
        Tensor pos = g.name(g.embedding(wpe, in.positions(), "pos_embd"), "pos_embd", -1);
        Tensor x = g.name(g.add(tok, pos, "embed"), "embed", -1);
        Blocks.hiddenState(g, o, 0, x);
        Activation act = Activation.fromHf(c.hiddenAct());
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "transformer.h." + l;
            Tensor h = Blocks.norm(g, Norm.LAYER, x, p + ".ln_1", d, eps, "attn_norm", l);
            Tensor qkv = Blocks.linear(g, h, p + ".attn.c_attn", d, 3 * d, WeightLayout.IN_OUT, true, "qkv", l); // [rows, 3*hidden]
            Tensor q = g.columns(qkv, 0, d, "q-" + l);
            Tensor k = g.columns(qkv, d, d, "k-" + l);
            Tensor v = g.columns(qkv, 2 * d, d, "v-" + l);
            Tensor a = Blocks.selfAttention(g, in, q, k, v, batch, seqLen, heads, heads, hd, l, wte.dtype());
            x = Blocks.linear(g, a, p + ".attn.c_proj", d, d, WeightLayout.IN_OUT, true, null, x, "ffn_inp", l);
            h = Blocks.norm(g, Norm.LAYER, x, p + ".ln_2", d, eps, "ffn_norm", l);
            Tensor gelu = Blocks.linear(g, h, p + ".mlp.c_fc", d, c.intermediateSize(), WeightLayout.IN_OUT, true, act, null, "ffn_act", l);
            x = Blocks.linear(g, gelu, p + ".mlp.c_proj", c.intermediateSize(), d, WeightLayout.IN_OUT, true, null, x, "l_out", l);
            if (l < c.numLayers() - 1) Blocks.hiddenState(g, o, l + 1, x);
        }
        Tensor normed = Blocks.norm(g, Norm.LAYER, x, "transformer.ln_f", d, eps, "result_norm", -1);
        Blocks.head(g, in, normed, null, wte, c.numLayers(), o);
        return g.build();
    }
}
