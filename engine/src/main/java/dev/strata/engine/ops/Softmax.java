// Row-wise softmax. x, out: F32 [m, n].
package dev.strata.engine.ops;

import dev.strata.engine.graph.Tensor;
import java.util.List;

public record Softmax(Tensor x) implements Op {
    public OpKind kind() { return OpKind.SOFTMAX; }
    public List<Tensor> inputs() { return Inputs.of(x); }
}
