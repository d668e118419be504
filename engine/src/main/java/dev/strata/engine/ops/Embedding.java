// out[i, :] = table[ids[i], :]. table: [vocab, dim] (weight or activation, any float dtype);
// ids: I32 [n, 1]; out: F32 [n, dim]. Also used to gather rows of an activation.
package dev.strata.engine.ops;

import dev.strata.engine.graph.Tensor;
import java.util.List;

public record Embedding(Tensor table, Tensor ids) implements Op {
    public OpKind kind() { return OpKind.EMBEDDING; }
    public List<Tensor> inputs() { return Inputs.of(table, ids); }
}
