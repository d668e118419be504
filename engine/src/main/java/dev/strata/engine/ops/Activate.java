// out = act(x), elementwise. x, out: F32 [m, n].
package dev.strata.engine.ops;

import dev.strata.engine.graph.Tensor;
import java.util.List;

public record Activate(Tensor x, Activation act) implements Op {
    public OpKind kind() { return OpKind.ACTIVATE; }
    public List<Tensor> inputs() { return Inputs.of(x); }
}
