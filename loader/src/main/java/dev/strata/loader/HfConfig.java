// Hugging Face config.json normalised to the hyper-parameters a decoder engine needs.
package dev.strata.loader;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Family-specific key names and defaults (GPT-2's n_embd, Llama's untied default, Qwen2's q/k/v bias) are
 * resolved here; {@link #raw()} keeps the original tree for anything else.
 *
 * @param attentionBias whether q/k/v projections carry biases (Qwen2: always; GPT-2 and BERT: always)
 * @param mlpBias       whether MLP projections carry biases
 * @param bosTokenId    null when the config names none
 * @param eosTokenIds   empty when the config names none
 */
public record HfConfig(
        String modelType,
        List<String> architectures,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int intermediateSize,
        int vocabSize,
        int maxPositions,
        double normEps,
        String hiddenAct,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        boolean mlpBias,
        Integer bosTokenId,
        List<Integer> eosTokenIds,
        Integer padTokenId,
        RopeConfig rope,
        JsonNode raw) {

    /**
     * Rotary embedding parameters, from transformers 5 {@code rope_parameters} or the older
     * {@code rope_theta} + {@code rope_scaling}. Type "default" means unscaled.
     */
    public record RopeConfig(
            double theta,
            String type,
            double factor,
            double lowFreqFactor,
            double highFreqFactor,
            int originalMaxPositions,
            double partialRotaryFactor) {
    }

    public HfConfig {
        architectures = List.copyOf(architectures);
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    public static HfConfig read(Path configJson) throws IOException {
        return HfConfigParser.parse(JsonFields.read(configJson));
    }

    public static HfConfig parse(String json) throws ConfigException {
        return HfConfigParser.parse(JsonFields.parse(json, "config.json"));
    }

    /** Whether this is an encoder-decoder family (T5, Marian); see {@link #encoderDecoder()}. */
    public boolean isEncoderDecoder() {
        return EncoderDecoderConfig.handles(modelType);
    }

    /** The encoder-decoder hyper-parameters (T5, Marian), read from {@link #raw()}; IllegalArgumentException for other families. */
    public EncoderDecoderConfig encoderDecoder() {
        try {
            return EncoderDecoderConfig.parse(new JsonFields(raw, "config.json"), modelType);
        } catch (ConfigException ex) {
            throw new IllegalArgumentException(ex.getMessage(), ex);
        }
    }

    /** Number of dimensions of each head that RoPE rotates (even). */
    public int rotaryDim() {
        int d = (int) Math.round(headDim * rope.partialRotaryFactor());
        return d & ~1;
    }
}
