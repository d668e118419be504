// out[r, :] = x[r, :] / sqrt(mean(x[r, :]²) + eps) * weight. x, out: F32 [m, d]; weight: [1, d].
package dev.strata.engine.ops;

import dev.strata.engine.graph.Tensor;
import java.util.List;

public record RmsNorm(Tensor x, Tensor weight, float eps) implements Op {
    public OpKind kind() { return OpKind.RMS_NORM; }
    public List<Tensor> inputs() { return Inputs.of(x, weight); }
}
