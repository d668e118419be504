// KV cache in device memory: per layer, K and V each [slots][capacity][kvHeads*headDim] F32.
package dev.strata.cuda;

import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.kv.KvStorage;

final class CudaKvStorage implements KvStorage {
    private final KvSpec spec;
    private final CudaMemory[] keys, values;

    CudaKvStorage(KvSpec spec, CudaMemory[] keys, CudaMemory[] values) {
        this.spec = spec;
        this.keys = keys;
        this.values = values;
    }

    /** Keys and values of every layer of `spec`, each layer's [slots][capacity][rowWidth] F32 from `allocator`. */
    static CudaKvStorage allocate(KvSpec spec, CudaMemory.Allocator allocator) {
        long perLayer = (long) spec.slots() * spec.capacity() * spec.rowWidth() * Float.BYTES;
        CudaMemory[] k = new CudaMemory[spec.layers()], v = new CudaMemory[spec.layers()];
        for (int l = 0; l < spec.layers(); l++) {
            k[l] = allocator.allocate(perLayer, "KV cache keys, layer " + l);
            v[l] = allocator.allocate(perLayer, "KV cache values, layer " + l);
        }
        return new CudaKvStorage(spec, k, v);
    }

    public KvSpec spec() { return spec; }

    long keys(int layer) { return keys[layer].address(); }

    long values(int layer) { return values[layer].address(); }

    @Override public void close() {
        for (CudaMemory b : keys) b.close();
        for (CudaMemory b : values) b.close();
    }
}
