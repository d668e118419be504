// out[r] = index of the largest x[r, :] (first on ties), so greedy decoding needs no copy of
// the logits off the device. x: F32 [m, n]; out: I32 [m, 1].
package dev.strata.engine.ops;

import dev.strata.engine.graph.Tensor;
import java.util.List;

public record Argmax(Tensor x) implements Op {
    public OpKind kind() { return OpKind.ARGMAX; }
    public List<Tensor> inputs() { return Inputs.of(x); }
}
