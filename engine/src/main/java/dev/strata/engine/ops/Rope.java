// Rotary position embedding, rotate-half (GPT-NeoX / HF Llama) layout. For each row r and head h,
// the first `rotaryDims` dims of the head are rotated by angle positions[r] * invFreq[i]; the
// rest pass through (partial rotary). x, out: F32 [m, heads*headDim] (x may be a view);
// positions: I32 [m, 1]; invFreq: F32 constant [1, rotaryDims/2] (scaling already applied).
package dev.strata.engine.ops;

import dev.strata.engine.graph.Tensor;
import java.util.List;

public record Rope(Tensor x, Tensor positions, Tensor invFreq, int heads, int headDim, int rotaryDims) implements Op {
    public OpKind kind() { return OpKind.ROPE; }
    public List<Tensor> inputs() { return Inputs.of(x, positions, invFreq); }
}
