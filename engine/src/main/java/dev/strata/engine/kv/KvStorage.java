// Device-side storage of a KV cache, allocated by a backend. Layout of the contiguous cache:
// K and V per layer, each [slots][capacity][kvHeads*headDim] F32. A paged cache adds block
// tables behind the same interface.
package dev.strata.engine.kv;

public interface KvStorage extends AutoCloseable {
    KvSpec spec();

    @Override void close();
}
