// KV cache storage in host memory: per layer, K and V each [slots][capacity][kvHeads*headDim] F32.
package dev.strata.engine.cpu;

import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.kv.KvStorage;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

public final class CpuKvStorage implements KvStorage {
    private final KvSpec spec;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] keys;
    private final MemorySegment[] values;

    CpuKvStorage(KvSpec spec) {
        this.spec = spec;
        long perLayer = (long) spec.slots() * spec.capacity() * spec.rowWidth() * Float.BYTES;
        keys = new MemorySegment[spec.layers()];
        values = new MemorySegment[spec.layers()];
        for (int l = 0; l < spec.layers(); l++) {
            keys[l] = arena.allocate(perLayer, 64);
            values[l] = arena.allocate(perLayer, 64);
        }
    }

    public KvSpec spec() { return spec; }

    public MemorySegment keys(int layer) { return keys[layer]; }

    public MemorySegment values(int layer) { return values[layer]; }

    /** Float index of (slot, position, 0) inside a layer's K or V segment. */
    public long rowIndex(int slot, int position) {
        return ((long) slot * spec.capacity() + position) * spec.rowWidth();
    }

    @Override public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
