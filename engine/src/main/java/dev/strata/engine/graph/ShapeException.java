// Thrown when a graph is built with incompatible shapes or dtypes; the message names the
// tensors, the expected and the actual shapes.
package dev.strata.engine.graph;

public final class ShapeException extends IllegalArgumentException {
    public ShapeException(String message) { super(message); }
}
