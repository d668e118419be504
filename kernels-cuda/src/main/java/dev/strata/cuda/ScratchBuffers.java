// A device's scratch memory by purpose (split partials, counters, casts): one buffer per purpose,
// stable across runs once sized, so recorded graphs may point at it. A buffer that is outgrown is
// retired, not freed (a graph of another shape bucket may still use it), and replaced by one at
// least twice its size, so growth stays bounded; all are freed on close.
package dev.strata.cuda;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

final class ScratchBuffers implements AutoCloseable {
    private final CudaMemory.Allocator allocator;
    private final Map<String, CudaMemory> current = new HashMap<>();
    private final List<CudaMemory> retired = new ArrayList<>();

    ScratchBuffers(CudaMemory.Allocator allocator) { this.allocator = allocator; }

    /** The buffer for `purpose` now, or null before its first use. */
    synchronized CudaMemory current(String purpose) { return current.get(purpose); }

    /**
     * The buffer for `purpose`, of at least `bytes`; a new one when there was none or it was
     * smaller, which must not happen while a graph is being captured (`capturing`).
     */
    synchronized CudaMemory get(String purpose, long bytes, boolean capturing) {
        CudaMemory s = current.get(purpose);
        if (s != null && s.byteSize() >= bytes) return s;
        if (capturing) throw new IllegalStateException("scratch '" + purpose + "' must grow during CUDA graph capture; run the graph eagerly first");
        if (s != null) {
            retired.add(s);
            bytes = Math.max(bytes, 2 * s.byteSize());
        }
        s = allocator.allocate(bytes, "scratch " + purpose);
        current.put(purpose, s);
        return s;
    }

    @Override public synchronized void close() {
        current.values().forEach(CudaMemory::close);
        retired.forEach(CudaMemory::close);
        current.clear();
        retired.clear();
    }
}
