// The closed op set. Every backend implements each of these (or reports why not); an
// exhaustive switch over Op makes a missing op a compile error.
package dev.strata.engine.ops;

import dev.strata.engine.graph.Tensor;
import java.util.List;

public sealed interface Op permits Embedding, MatMul, RmsNorm, LayerNorm, Rope, Attention, Softmax,
        Activate, GatedActivate, Add, Scale, Argmax, Sample {

    OpKind kind();

    /** Tensors this op reads (nulls for absent optional inputs are omitted). */
    List<Tensor> inputs();
}
