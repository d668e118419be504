// One step of a graph: an op and the tensor it writes.
package dev.strata.engine.graph;

import dev.strata.engine.ops.Op;

public record Node(Op op, Tensor out) {}
