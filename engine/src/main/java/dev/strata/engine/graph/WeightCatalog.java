// What a graph builder needs to know about a model's stored weights: dtype and shape by name.
package dev.strata.engine.graph;

import dev.strata.engine.tensor.DType;

public interface WeightCatalog {
    record Entry(String name, DType dtype, long[] shape) {}

    /** The entry, or null when the checkpoint has no tensor of that name. */
    Entry find(String name);
}
