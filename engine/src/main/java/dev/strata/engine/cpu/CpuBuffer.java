// CPU "device" memory: an off-heap segment, either owned (allocated from its own Arena) or
// aliasing a memory-mapped weight.
package dev.strata.engine.cpu;

import dev.strata.engine.backend.DeviceBuffer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

public final class CpuBuffer implements DeviceBuffer {
    private final MemorySegment segment;
    private final Arena owner;

    CpuBuffer(MemorySegment segment, Arena owner) {
        this.segment = segment;
        this.owner = owner;
    }

    static CpuBuffer allocate(long bytes) {
        Arena arena = Arena.ofShared();
        return new CpuBuffer(arena.allocate(bytes, 256), arena);
    }

    public MemorySegment segment() { return segment; }

    public long byteSize() { return segment.byteSize(); }

    @Override public void close() {
        if (owner != null && owner.scope().isAlive()) owner.close();
    }
}
