// out[m, n] = x[m, k] · W (+ bias[n]), with optional fused parts that save launches in decode:
//   prenorm:  x is first RMS-normalised per row with weight g[1, k] (x · rsqrt(mean(x²) + eps) · g),
//             exactly RmsNorm followed by this matmul;
//   gate:     out = act(x·W + bias) * (x·W_up + upBias), the gated MLP's gate/up pair and
//             GatedActivate in one op (W_up has W's shape, layout and dtype);
//   activation: out = act(x·W + bias), exactly Activate on the product (a plain MLP's up
//             projection: BERT, GPT-2); not together with gate, which has its own;
//   rotary:   RoPE on the first heads × headDim columns of the product's rows (exactly the Rope
//             op on them), for q and k projections; further columns (v's, in a stacked q/k/v
//             projection) are left as the product;
//   residual: out += residual[m, n] (F32), the block's residual Add.
// Applied in that order. W: [n, k] (OUT_IN) or [k, n] (IN_OUT), F32/F16/BF16; x: F32 [m, k]
// (may be a view); bias, upBias: [1, n] or null; out: F32 [m, n].
package dev.strata.engine.ops;

import dev.strata.engine.graph.Tensor;
import java.util.List;

public record MatMul(Tensor x, Tensor w, Tensor bias, WeightLayout layout, Prenorm prenorm, Gate gate, Activation activation, Rotary rotary,
                     Tensor residual)
        implements Op {
    /**
     * Graphs with at most this many rows fuse RMSNorm into their matmuls (decode: a GEMV takes
     * the norm in its one pass over x); larger graphs normalise once for all the matmuls that read
     * the rows. Matches the CUDA GEMV's row limit (MatMulCuda.GEMV_MAX_ROWS).
     */
    public static final int PRENORM_FUSION_MAX_ROWS = 8;

    /** RMS normalisation of x's rows before the product: weight [1, k] in its checkpoint dtype. */
    public record Prenorm(Tensor weight, float eps) {}

    /** The up projection and activation of a gated MLP: out = act(x·W + bias) * (x·up + upBias). */
    public record Gate(Tensor up, Tensor upBias, Activation act) {}

    /** Rotary position embedding of the output rows' first heads × headDim columns, as the Rope op with these arguments. */
    public record Rotary(Tensor positions, Tensor invFreq, int heads, int headDim, int rotaryDims) {
        /** The leading output columns RoPE applies to. */
        public int columns() { return heads * headDim; }
    }

    public MatMul(Tensor x, Tensor w, Tensor bias, WeightLayout layout) { this(x, w, bias, layout, null, null, null, null, null); }

    public MatMul(Tensor x, Tensor w, Tensor bias, WeightLayout layout, Prenorm prenorm, Gate gate, Tensor residual) {
        this(x, w, bias, layout, prenorm, gate, null, null, residual);
    }

    public MatMul(Tensor x, Tensor w, Tensor bias, WeightLayout layout, Prenorm prenorm, Gate gate, Rotary rotary, Tensor residual) {
        this(x, w, bias, layout, prenorm, gate, null, rotary, residual);
    }

    public OpKind kind() { return OpKind.MATMUL; }

    public List<Tensor> inputs() {
        return Inputs.of(x, w, bias, prenorm == null ? null : prenorm.weight(), gate == null ? null : gate.up(),
                gate == null ? null : gate.upBias(), rotary == null ? null : rotary.positions(), rotary == null ? null : rotary.invFreq(), residual);
    }

    /** True when any fused part is present. */
    public boolean fused() { return prenorm != null || gate != null || activation != null || rotary != null || residual != null; }

    public int m() { return x.rows(); }
    public int k() { return x.cols(); }
    public int n() { return layout == WeightLayout.OUT_IN ? w.rows() : w.cols(); }
}
