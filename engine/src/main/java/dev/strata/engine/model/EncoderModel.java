// An encoder-only architecture: builds the forward graph for `batch` sequences padded to
// `seqLen` tokens. Graph inputs: tokens, positions, token_types I32 [batch*seqLen, 1];
// mask F32 [batch, seqLen] (0 at real tokens, float32-min at padding, added to attention
// scores); cls_rows I32 [batch, 1] (row b*seqLen of each sequence) when the model has a pooler.
// Outputs: last_hidden_state [batch*seqLen, hidden]; hidden_states.{i} when asked (i = 0
// embeddings … L); pooler_output [batch, hidden] with a pooler; logits [batch, labels] for
// sequence classifiers.
package dev.strata.engine.model;

import dev.strata.engine.graph.Graph;
import dev.strata.engine.graph.WeightCatalog;

public interface EncoderModel extends ModelDefinition {
    /** Most tokens a sequence may hold (the learned position table). */
    int maxPositions();

    boolean hasPooler();

    /** Rows of the token-type table (BERT's type_vocab_size). */
    int typeVocab();

    /** Number of classifier labels; 0 for a bare encoder. */
    int labels();

    Graph build(WeightCatalog weights, int batch, int seqLen, boolean hiddenStates);
}
