// Hyper-parameters of the encoder-decoder families (T5, Marian/opus-mt) under their own key names
// (d_model, num_heads, d_kv, d_ff, num_layers / num_decoder_layers, encoder_layers,
// encoder_attention_heads, encoder_ffn_dim, ...). HfConfig keeps the common view (hidden size =
// d_model, layers/heads/ffn = the encoder's); this record holds what the models need besides.
package dev.strata.loader;

import java.util.List;

/**
 * @param maxPositions        learned/sinusoidal position table size; 0 when positions are relative (T5)
 * @param activation          HF activation name of the FFN ("gelu_new", "relu", "swish", ...)
 * @param gatedFfn            act(wi_0·x) * (wi_1·x) (T5 "gated-*") instead of act(wi·x)
 * @param relativeBuckets     T5 relative_attention_num_buckets (0 for absolute-position models)
 * @param relativeMaxDistance T5 relative_attention_max_distance
 * @param scaleDecoderOutputs T5: multiply the decoder output by d_model^-0.5 before the LM head
 * @param scaleEmbedding      Marian: multiply token embeddings by sqrt(d_model)
 */
public record EncoderDecoderConfig(
        String modelType,
        int dModel,
        int encoderLayers,
        int decoderLayers,
        int encoderHeads,
        int decoderHeads,
        int headDim,
        int encoderFfn,
        int decoderFfn,
        int vocabSize,
        int maxPositions,
        double normEps,
        String activation,
        boolean gatedFfn,
        int relativeBuckets,
        int relativeMaxDistance,
        boolean tieWordEmbeddings,
        boolean scaleDecoderOutputs,
        boolean scaleEmbedding,
        int decoderStartTokenId,
        Integer padTokenId,
        List<Integer> eosTokenIds) {

    public EncoderDecoderConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** Whether config.json's model_type is an encoder-decoder family this class reads. */
    static boolean handles(String modelType) {
        return modelType.equals("t5") || modelType.equals("marian");
    }

    static EncoderDecoderConfig parse(JsonFields c, String type) throws ConfigException {
        return switch (type) {
            case "t5" -> t5(c);
            case "marian" -> marian(c);
            default -> throw new ConfigException(c.source() + ": model_type '" + type + "' is not an encoder-decoder; expected t5 or marian");
        };
    }

    private static EncoderDecoderConfig t5(JsonFields c) throws ConfigException {
        int d = positive(c, "d_model");
        int layers = positive(c, "num_layers");
        int decLayers = HfConfigParser.positive(c, c.integer("num_decoder_layers").orElse(layers), "num_decoder_layers");
        int heads = positive(c, "num_heads");
        int dkv = positive(c, "d_kv");
        int ff = positive(c, "d_ff");
        int vocab = positive(c, "vocab_size");
        double eps = eps(c, "layer_norm_epsilon", 1e-6);
        // T5Config: "gated-gelu" means gelu_new; otherwise "[gated-]ACT".
        String proj = c.string("feed_forward_proj").orElse("relu");
        String[] parts = proj.split("-");
        boolean gated = parts.length == 2 && parts[0].equals("gated");
        if (parts.length > 2 || (parts.length == 2 && !gated)) {
            throw new ConfigException(c.source() + ": feed_forward_proj '" + proj + "' is not ACT or gated-ACT (e.g. relu, gated-gelu)");
        }
        String act = proj.equals("gated-gelu") ? "gelu_new" : parts[parts.length - 1];
        int buckets = HfConfigParser.positive(c, c.integer("relative_attention_num_buckets").orElse(32), "relative_attention_num_buckets");
        int maxDistance = HfConfigParser.positive(c, c.integer("relative_attention_max_distance").orElse(128), "relative_attention_max_distance");
        if (buckets < 4) throw new ConfigException(c.source() + ": relative_attention_num_buckets " + buckets + " must be at least 4");
        boolean tie = c.bool("tie_word_embeddings").orElse(true);
        // transformers 5 writes scale_decoder_outputs; older configs rescale exactly when the head is tied.
        boolean scaleOut = c.bool("scale_decoder_outputs").orElse(tie);
        Integer pad = c.integer("pad_token_id").orElse(null);
        int start = c.integer("decoder_start_token_id").orElse(pad == null ? 0 : pad);
        return new EncoderDecoderConfig("t5", d, layers, decLayers, heads, heads, dkv, ff, ff, vocab, 0, eps, act, gated,
                buckets, maxDistance, tie, scaleOut, false, start, pad, c.integers("eos_token_id"));
    }

    private static EncoderDecoderConfig marian(JsonFields c) throws ConfigException {
        int d = positive(c, "d_model");
        int encLayers = positive(c, "encoder_layers"), decLayers = positive(c, "decoder_layers");
        int encHeads = positive(c, "encoder_attention_heads"), decHeads = positive(c, "decoder_attention_heads");
        if (d % encHeads != 0 || d % decHeads != 0) {
            throw new ConfigException(c.source() + ": d_model " + d + " is not a multiple of encoder_attention_heads " + encHeads
                    + " and decoder_attention_heads " + decHeads);
        }
        if (d / encHeads != d / decHeads) {
            throw new ConfigException(c.source() + ": encoder and decoder head sizes differ (" + d / encHeads + " vs " + d / decHeads + ")");
        }
        int vocab = positive(c, "vocab_size");
        int decVocab = c.integer("decoder_vocab_size").orElse(vocab);
        if (decVocab != vocab) throw new ConfigException(c.source() + ": decoder_vocab_size " + decVocab + " differs from vocab_size " + vocab + "; separate vocabularies are not supported");
        if (!c.bool("share_encoder_decoder_embeddings").orElse(true)) {
            throw new ConfigException(c.source() + ": share_encoder_decoder_embeddings is false; only shared embeddings are supported");
        }
        java.util.Optional<Integer> start = c.integer("decoder_start_token_id");
        if (start.isEmpty()) start = c.integer("pad_token_id");
        if (start.isEmpty()) throw new ConfigException(c.source() + ": missing required key decoder_start_token_id (or pad_token_id)");
        String act = c.string("activation_function").orElse("gelu");
        return new EncoderDecoderConfig("marian", d, encLayers, decLayers, encHeads, decHeads, d / encHeads,
                positive(c, "encoder_ffn_dim"), positive(c, "decoder_ffn_dim"), vocab, positive(c, "max_position_embeddings"),
                1e-5, act, false, 0, 0, c.bool("tie_word_embeddings").orElse(true), false,
                c.bool("scale_embedding").orElse(false), start.get(), c.integer("pad_token_id").orElse(null), c.integers("eos_token_id"));
    }

    /** The common HfConfig view: hidden size d_model, the encoder's layers, heads and FFN size. */
    HfConfig toHfConfig(List<String> architectures, JsonFields c) throws ConfigException {
        int positions = maxPositions == 0 ? Integer.MAX_VALUE : maxPositions;
        boolean biases = modelType.equals("marian");
        return new HfConfig(modelType, architectures, dModel, encoderLayers, encoderHeads, encoderHeads, headDim, encoderFfn,
                vocabSize, positions, normEps, activation, tieWordEmbeddings, biases, biases, c.integer("bos_token_id").orElse(null),
                eosTokenIds, padTokenId, RopeParser.parse(c, positions), c.node());
    }

    private static int positive(JsonFields c, String key) throws ConfigException {
        return HfConfigParser.positive(c, c.requiredInt(key), key);
    }

    private static double eps(JsonFields c, String key, double dflt) throws ConfigException {
        double v = c.number(key).orElse(dflt);
        if (!(v > 0) || Double.isInfinite(v)) throw new ConfigException(c.source() + ": key '" + key + "' must be a positive number; got " + v);
        return v;
    }
}
