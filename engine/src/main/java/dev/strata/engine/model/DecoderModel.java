// A decoder-only architecture: builds the forward graph for `batch` sequences of `seqLen` new
// tokens each. Graph inputs (all I32): tokens [batch*seqLen, 1], positions [batch*seqLen, 1],
// past [batch, 1] (tokens already cached per sequence), slots [batch, 1] (KV slot per sequence),
// and without allLogits, where seqLen > 1, last_rows [batch, 1] (each sequence's row whose logits
// are wanted; with one new token per sequence every row is). Outputs: logits [rows, vocab];
// hidden_states.{i} [batch*seqLen, hidden] when asked (i = 0 embeddings … L final-normed);
// next_token [rows, 1] by argmax or drawn under the input sampling I32 [rows, Sample.PARAMS]
// (ForwardOptions.nextToken).
package dev.strata.engine.model;

import dev.strata.engine.graph.Graph;
import dev.strata.engine.graph.WeightCatalog;

public interface DecoderModel extends ModelDefinition {
    /** Most tokens a sequence may hold (positions table, sliding window). */
    int contextLimit();

    /** KV cache geometry per layer. */
    int kvHeads();

    int headDim();

    Graph build(WeightCatalog weights, int batch, int seqLen, ForwardOptions options);
}
