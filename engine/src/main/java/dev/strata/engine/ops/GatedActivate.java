// out = act(gate) * up, elementwise (SwiGLU with SILU, GeGLU with GELU). gate, up, out: F32 [m, n].
package dev.strata.engine.ops;

import dev.strata.engine.graph.Tensor;
import java.util.List;

public record GatedActivate(Tensor gate, Tensor up, Activation act) implements Op {
    public OpKind kind() { return OpKind.GATED_ACTIVATE; }
    public List<Tensor> inputs() { return Inputs.of(gate, up); }
}
