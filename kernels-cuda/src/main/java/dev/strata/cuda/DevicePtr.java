// A CUdeviceptr whose raw address is readable (for cuBLAS through FFM and address arithmetic).
package dev.strata.cuda;

import jcuda.driver.CUdeviceptr;

final class DevicePtr extends CUdeviceptr {
    long address() { return getNativePointer(); }
}
