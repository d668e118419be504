// Helper for Op.inputs(): a list of the non-null tensors given.
package dev.strata.engine.ops;

import dev.strata.engine.graph.Tensor;
import java.util.ArrayList;
import java.util.List;

final class Inputs {
    private Inputs() {}

    static List<Tensor> of(Tensor... ts) {
        List<Tensor> out = new ArrayList<>(ts.length);
        for (Tensor t : ts) if (t != null) out.add(t);
        return List.copyOf(out);
    }
}
