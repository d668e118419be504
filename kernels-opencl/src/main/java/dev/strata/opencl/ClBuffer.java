// A cl_mem buffer, released once on close.
package dev.strata.opencl;

import dev.strata.engine.backend.DeviceBuffer;
import org.lwjgl.opencl.CL10;

final class ClBuffer implements DeviceBuffer {
    private final long mem;
    private final long bytes;
    private boolean released;

    ClBuffer(long mem, long bytes) {
        this.mem = mem;
        this.bytes = bytes;
    }

    long mem() { return mem; }

    public long byteSize() { return bytes; }

    @Override public synchronized void close() {
        if (!released) {
            released = true;
            CL10.clReleaseMemObject(mem);
        }
    }
}
