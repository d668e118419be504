// BERT family encoder (BertModel, BertForSequenceClassification, sentence-transformers such as
// all-MiniLM-L6-v2): word + learned position + token-type embeddings and LayerNorm, post-LN
// blocks with bidirectional attention under a padding mask, exact (erf) GELU MLP; optional
// pooler (tanh dense over the CLS row) and classification head over the pooled output.
// Checkpoints may prefix the encoder with "bert." (task models); Linear weights are HF's
// [out, in] or, from an ONNX export, [in, out] — the layout is given, never guessed.
package dev.strata.engine.model;

import dev.strata.engine.graph.Graph;
import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.graph.WeightCatalog;
import dev.strata.engine.model.Blocks.Norm;
import dev.strata.engine.ops.Activation;
import dev.strata.engine.ops.AttentionSpec;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.engine.tensor.DType;
import dev.strata.loader.HfConfig;

public final class Bert implements EncoderModel {
    private final HfConfig c;
    private final String prefix;
    private final WeightLayout linear;
    private final int typeVocab;
    private final boolean pooler;
    private final int labels;

    /** Reads the prefix, pooler and classifier from the checkpoint's tensor names. */
    public Bert(HfConfig config, WeightCatalog weights, WeightLayout linearLayout) {
        this.c = config;
        this.linear = linearLayout;
        Activation.fromHf(config.hiddenAct());
        this.prefix = weights.find("bert.embeddings.word_embeddings.weight") != null ? "bert." : "";
        if (weights.find(prefix + "embeddings.word_embeddings.weight") == null) {
            throw new IllegalArgumentException("not a BERT checkpoint: no tensor 'embeddings.word_embeddings.weight' (or 'bert.embeddings.word_embeddings.weight')");
        }
        this.typeVocab = config.raw().path("type_vocab_size").asInt(2);
        this.pooler = weights.find(prefix + "pooler.dense.weight") != null;
        WeightCatalog.Entry cls = weights.find("classifier.weight");
        this.labels = cls == null ? 0 : Math.toIntExact(cls.shape()[linearLayout == WeightLayout.OUT_IN ? 0 : 1]);
        if (labels > 0 && !pooler) throw new IllegalArgumentException("BERT classifier without a pooler ('" + prefix + "pooler.dense.weight') is not supported");
    }

    public HfConfig config() { return c; }

    public int maxPositions() { return c.maxPositions(); }

    public boolean hasPooler() { return pooler; }

    public int typeVocab() { return typeVocab; }

    public int labels() { return labels; }

    public Graph build(WeightCatalog weights, int batch, int seqLen, boolean hiddenStates) {
        if (seqLen > c.maxPositions()) throw new IllegalArgumentException(seqLen + " tokens exceed the model's " + c.maxPositions() + " positions");
        GraphBuilder g = new GraphBuilder(weights);
        int rows = batch * seqLen, d = c.hiddenSize(), heads = c.numHeads(), hd = c.headDim();
        float eps = (float) c.normEps();
        Tensor tokens = g.input("tokens", DType.I32, rows, 1);
        Tensor positions = g.input("positions", DType.I32, rows, 1);
        Tensor types = g.input("token_types", DType.I32, rows, 1);
        Tensor mask = g.input("mask", DType.F32, batch, seqLen);
        Tensor past = g.input("past", DType.I32, batch, 1);   // zeros: no KV cache
        Tensor slots = g.input("slots", DType.I32, batch, 1); // zeros: no KV cache
        Tensor clsRows = pooler ? g.input("cls_rows", DType.I32, batch, 1) : null;
        String e = prefix + "embeddings";
        Tensor word = g.embedding(g.weight(e + ".word_embeddings.weight", c.vocabSize(), d), tokens, "tok_embd");
        Tensor pos = g.embedding(g.weight(e + ".position_embeddings.weight", c.maxPositions(), d), positions, "pos_embd");
        Tensor type = g.embedding(g.weight(e + ".token_type_embeddings.weight", typeVocab, d), types, "type_embd");
        Tensor x = g.name(g.add(g.add(word, pos, "embed_sum"), type, "embed_sum"), "embed_sum", -1);
        x = Blocks.norm(g, Norm.LAYER, x, e + ".LayerNorm", d, eps, "embed", -1);
        if (hiddenStates) g.output("hidden_states.0", x);
        Activation act = Activation.fromHf(c.hiddenAct());
        AttentionSpec spec = new AttentionSpec(batch, seqLen, heads, heads, hd, (float) (1 / Math.sqrt(hd)), false, -1);
        for (int l = 0; l < c.numLayers(); l++) {
            String p = prefix + "encoder.layer." + l;
            Tensor q = Blocks.linear(g, x, p + ".attention.self.query", d, d, linear, true, "q", l);
            Tensor k = Blocks.linear(g, x, p + ".attention.self.key", d, d, linear, true, "k", l);
            Tensor v = Blocks.linear(g, x, p + ".attention.self.value", d, d, linear, true, "v", l);
            Tensor a = g.name(g.attention(q, k, v, past, slots, mask, spec, "attn"), "attn", l);
            x = Blocks.linear(g, a, p + ".attention.output.dense", d, d, linear, true, null, x, "attn_res", l);
            x = Blocks.norm(g, Norm.LAYER, x, p + ".attention.output.LayerNorm", d, eps, "attn_norm", l);
            Tensor h = Blocks.linear(g, x, p + ".intermediate.dense", d, c.intermediateSize(), linear, true, act, null, "ffn_act", l);
            x = Blocks.linear(g, h, p + ".output.dense", c.intermediateSize(), d, linear, true, null, x, "ffn_res", l);
            x = Blocks.norm(g, Norm.LAYER, x, p + ".output.LayerNorm", d, eps, "l_out", l);
            if (hiddenStates) g.output("hidden_states." + (l + 1), x);
        }
        g.output("last_hidden_state", x);
        if (pooler) {
            Tensor cls = g.name(g.embedding(x, clsRows, "cls"), "cls", -1);                       // [batch, hidden]
            Tensor dense = Blocks.linear(g, cls, prefix + "pooler.dense", d, d, linear, true, "pooler_dense", -1);
            Tensor pooled = g.output("pooler_output", g.name(g.activate(dense, Activation.TANH, "pooler"), "pooler", -1));
            if (labels > 0) g.output("logits", Blocks.linear(g, pooled, "classifier", d, labels, linear, true, "logits", -1));
        }
        return g.build();
    }
}
