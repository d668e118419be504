// A failed CUDA call: names the error, the call, the kernel and the device, e.g.
// "CUDA error 700 (CUDA_ERROR_ILLEGAL_ADDRESS) in cuLaunchKernel [rms_norm_f32] on device 0".
package dev.strata.cuda;

import dev.strata.engine.backend.BackendException;

public final class CudaException extends BackendException {
    private final int status;

    public CudaException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() { return status; }
}
