// The one place CUDA driver statuses are checked. Sticky errors (illegal address, launch
// failure, ...) leave the context unusable: the device is marked poisoned and every later call
// fails fast with the original cause instead of serving garbage.
package dev.strata.cuda;

import jcuda.driver.CUresult;

final class CudaCheck {
    private final int device;
    private volatile String poisoned;

    CudaCheck(int device) { this.device = device; }

    static boolean sticky(int status) {
        return status == 700 || status == 702 || (status >= 714 && status <= 719);
    }

    void check(int status, String call, String kernel) {
        if (status == CUresult.CUDA_SUCCESS) return;
        String msg = message(status, call, kernel, device);
        if (sticky(status)) poisoned = msg;
        throw new CudaException(status, msg);
    }

    void check(int status, String call) { check(status, call, null); }

    /** Throws if an earlier sticky error made the device unusable. */
    void usable() {
        String p = poisoned;
        if (p != null) throw new CudaException(719, "CUDA device " + device + " is unusable after an earlier error: " + p);
    }

    static String message(int status, String call, String kernel, int device) {
        return "CUDA error " + status + " (" + CUresult.stringFor(status) + ") in " + call
                + (kernel == null ? "" : " [" + kernel + "]") + " on device " + device;
    }
}
