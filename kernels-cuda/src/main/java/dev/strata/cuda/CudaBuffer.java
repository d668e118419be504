// Device memory from cuMemAlloc, freed on close (once).
package dev.strata.cuda;

import jcuda.driver.JCudaDriver;

final class CudaBuffer implements CudaMemory {
    private final DevicePtr ptr;
    private final long bytes;
    private boolean freed;

    CudaBuffer(DevicePtr ptr, long bytes) {
        this.ptr = ptr;
        this.bytes = bytes;
    }

    DevicePtr ptr() { return ptr; }

    public long address() { return ptr.address(); }

    public long byteSize() { return bytes; }

    @Override public synchronized void close() {
        if (!freed) {
            freed = true;
            JCudaDriver.cuMemFree(ptr);
        }
    }
}
