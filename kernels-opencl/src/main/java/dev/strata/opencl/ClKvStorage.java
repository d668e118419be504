// KV cache in OpenCL buffers: per layer, K and V each [slots][capacity][kvHeads*headDim] F32.
package dev.strata.opencl;

import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.kv.KvStorage;

final class ClKvStorage implements KvStorage {
    private final KvSpec spec;
    private final ClBuffer[] keys, values;

    ClKvStorage(KvSpec spec, ClBuffer[] keys, ClBuffer[] values) {
        this.spec = spec;
        this.keys = keys;
        this.values = values;
    }

    public KvSpec spec() { return spec; }

    long keys(int layer) { return keys[layer].mem(); }

    long values(int layer) { return values[layer].mem(); }

    @Override public void close() {
        for (ClBuffer b : keys) b.close();
        for (ClBuffer b : values) b.close();
    }
}
