// out[r, :] = (x[r, :] - mean) / sqrt(var + eps) * weight + bias. x, out: F32 [m, d];
// weight, bias: [1, d] (bias may be null).
package dev.strata.engine.ops;

import dev.strata.engine.graph.Tensor;
import java.util.List;

public record LayerNorm(Tensor x, Tensor weight, Tensor bias, float eps) implements Op {
    public OpKind kind() { return OpKind.LAYER_NORM; }
    public List<Tensor> inputs() { return Inputs.of(x, weight, bias); }
}
