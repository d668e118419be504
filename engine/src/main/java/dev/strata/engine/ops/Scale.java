// out = x * factor, elementwise. x, out: F32 [m, n].
package dev.strata.engine.ops;

import dev.strata.engine.graph.Tensor;
import java.util.List;

public record Scale(Tensor x, float factor) implements Op {
    public OpKind kind() { return OpKind.SCALE; }
    public List<Tensor> inputs() { return Inputs.of(x); }
}
