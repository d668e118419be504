// An encoder-decoder architecture (T5, Marian): two graphs per request shape.
//
// Encoder graph for `batch` sources of `srcLen` tokens (padded; the mask says which are real).
//   Inputs: tokens I32 [batch*srcLen, 1]; positions I32 [batch*srcLen, 1] (0..srcLen-1, absolute-
//   position models only); mask F32 [batch, srcLen] (0 for real tokens, -inf for padding);
//   past, slots I32 [batch, 1] (zeros: the encoder has no cache); position_buckets
//   I32 [batch*srcLen*srcLen, 1] (relative-position models only, see RelativePositionBuckets).
//   Outputs: hidden_states.{i} [batch*srcLen, d_model] (i = 0 embeddings … L the final state),
//   cross_k.{l}, cross_v.{l} [batch*srcLen, heads*headDim]: every decoder layer's cross-attention
//   keys and values, left on the device for the decoder graphs.
// Decoder graph for `seqLen` new tokens per sequence over a KV cache of `capacity` tokens.
//   Inputs: tokens, positions I32 [batch*seqLen, 1] (positions = past + i); past, slots
//   I32 [batch, 1]; last_rows I32 [batch, 1] without allLogits where seqLen > 1; cross_mask F32 [batch, srcLen];
//   position_buckets I32 [batch*seqLen*capacity, 1] (relative-position models only).
//   Externals: cross_k.{l}, cross_v.{l} (bound to the encoder's outputs).
//   Outputs: logits [rows, vocab]; hidden_states.{i} [batch*seqLen, d_model] with hiddenStates;
//   next_token by argmax or drawn under the input sampling (ForwardOptions.nextToken).
package dev.strata.engine.model;

import dev.strata.engine.graph.Graph;
import dev.strata.engine.graph.WeightCatalog;
import dev.strata.loader.EncoderDecoderConfig;
import dev.strata.loader.HfConfig;

public interface EncoderDecoderModel extends ModelDefinition {
    EncoderDecoderConfig encoderDecoder();

    /** Most tokens a source or target sequence may hold (Integer.MAX_VALUE for relative positions). */
    int positionLimit();

    Graph buildEncoder(WeightCatalog weights, int batch, int srcLen);

    Graph buildDecoder(WeightCatalog weights, int batch, int srcLen, int seqLen, int capacity, ForwardOptions options);

    /** The architecture for an encoder-decoder config, or an error naming the supported ones. */
    static EncoderDecoderModel forConfig(HfConfig config) {
        return switch (config.modelType()) {
            case "t5" -> new T5(config);
            case "marian" -> new Marian(config);
            default -> throw new IllegalArgumentException("model_type '" + config.modelType() + "' " + config.architectures()
                    + " is not supported as an encoder-decoder; supported: t5, marian");
        };
    }
}
