// Device memory of the CUDA host emulation: a native host segment of its own arena, freed on close
// (once). Filled with all bits set when allocated, as cuMemAlloc's memory is not zeroed: a kernel or
// plan that reads memory nothing wrote sees NaN (F32) or -1 (int) instead of a lucky zero.
package dev.strata.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

final class EmulatedBuffer implements CudaMemory {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment segment;
    private boolean freed;

    EmulatedBuffer(long bytes) {
        segment = arena.allocate(Math.max(bytes, 1), 256);
        segment.fill((byte) 0xff);
    }

    MemorySegment segment() { return segment; }

    public long address() { return segment.address(); }

    public long byteSize() { return segment.byteSize(); }

    @Override public synchronized void close() {
        if (!freed) {
            freed = true;
            arena.close();
        }
    }
}
