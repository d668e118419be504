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

    public KvSpec spec() { return spec; }

    long keys(int layer) { return keys[layer].address(); }

    long values(int layer) { return values[layer].address(); }

    @Override public void close() {
        for (CudaMemory b : keys) b.close();
        for (CudaMemory b : values) b.close();
    }
}
