// out = a + b, elementwise; b may also be a single row [1, n] broadcast over a's rows
// (learned position tables gathered per row use the full form). a, out: F32 [m, n].
package dev.strata.engine.ops;

import dev.strata.engine.graph.Tensor;
import java.util.List;

public record Add(Tensor a, Tensor b) implements Op {
    public OpKind kind() { return OpKind.ADD; }
    public List<Tensor> inputs() { return Inputs.of(a, b); }
}
