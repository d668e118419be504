// A built graph: nodes in execution order, its inputs, weights, constants and named outputs.
// Immutable once built; the executor plans memory for it and replays it on a backend. Inputs and
// outputs keep their declaration order (Map.copyOf's order changes from one JVM to the next, and
// with it the memory plan's placement of the inputs).
package dev.strata.engine.graph;

import java.util.List;
import java.util.Map;

public record Graph(List<Node> nodes, Map<String, Tensor> inputs, List<Tensor> weights, List<Tensor> constants,
                    Map<String, Tensor> outputs, List<Tensor> tensors) {
    public Graph {
        nodes = List.copyOf(nodes);
        inputs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(inputs));
        weights = List.copyOf(weights);
        constants = List.copyOf(constants);
        outputs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(outputs));
        tensors = List.copyOf(tensors);
    }

    public Tensor input(String name) {
        Tensor t = inputs.get(name);
        if (t == null) throw new IllegalArgumentException("graph has no input '" + name + "'; inputs are " + inputs.keySet());
        return t;
    }

    public Tensor output(String name) {
        Tensor t = outputs.get(name);
        if (t == null) throw new IllegalArgumentException("graph has no output '" + name + "'; outputs are " + outputs.keySet());
        return t;
    }

    /** Tensors computed by another graph and bound at run time, by name (see GraphBuilder.external). */
    public Map<String, Tensor> externals() {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        for (Tensor t : tensors) if (t.kind() == Tensor.Kind.EXTERNAL) out.put(t.source(), t);
        return out;
    }

    /** The tensor with the given name (layer index + role, e.g. "attn_norm-3"), or null. */
    public Tensor find(String name) {
        for (Tensor t : tensors) if (name.equals(t.name())) return t;
        return null;
    }
}
