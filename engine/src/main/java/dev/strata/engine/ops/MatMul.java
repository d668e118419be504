// out[m, n] = x[m, k] · W (+ bias[n]). W: [n, k] (OUT_IN) or [k, n] (IN_OUT), F32/F16/BF16;
// x: F32 [m, k] (may be a view); bias: [1, n] or null; out: F32 [m, n].
package dev.strata.engine.ops;

import dev.strata.engine.graph.Tensor;
import java.util.List;

public record MatMul(Tensor x, Tensor w, Tensor bias, WeightLayout layout) implements Op {
    public OpKind kind() { return OpKind.MATMUL; }
    public List<Tensor> inputs() { return Inputs.of(x, w, bias); }

    public int m() { return x.rows(); }
    public int k() { return x.cols(); }
    public int n() { return layout == WeightLayout.OUT_IN ? w.rows() : w.cols(); }
}
