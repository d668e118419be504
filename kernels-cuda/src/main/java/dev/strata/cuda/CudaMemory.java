// Memory the CUDA kernels address: a cuMemAlloc buffer (CudaBuffer) or, under the host emulation,
// a native host segment (EmulatedCudaDevice). Launch plans see only the address.
package dev.strata.cuda;

import dev.strata.engine.backend.DeviceBuffer;

interface CudaMemory extends DeviceBuffer {
    /** The address of byte 0, as kernels and cuBLAS take it. */
    long address();

    /** A device's allocation of `bytes` for `purpose` (named in its errors). */
    interface Allocator {
        CudaMemory allocate(long bytes, String purpose);
    }
}
