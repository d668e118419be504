// Shape of a KV cache: layers × slots (sequences) × capacity (tokens) × kvHeads × headDim, F32.
package dev.strata.engine.kv;

public record KvSpec(int layers, int slots, int capacity, int kvHeads, int headDim) {
    public KvSpec {
        if (layers <= 0 || slots <= 0 || capacity <= 0 || kvHeads <= 0 || headDim <= 0) {
            throw new IllegalArgumentException("KV cache dimensions must be positive: " + this);
        }
        Math.multiplyExact(Math.multiplyExact((long) slots * capacity, (long) kvHeads * headDim), 4L * 2 * layers);
    }

    /** Floats per token per layer for K (and again for V). */
    public int rowWidth() { return kvHeads * headDim; }

    /** Bytes of K plus V over all layers. */
    public long bytes() { return 2L * layers * slots * capacity * rowWidth() * Float.BYTES; }
}
