// A CUstream whose raw handle is readable, so cuBLAS (through FFM) can run on the same stream.
package dev.strata.cuda;

import jcuda.driver.CUstream;

final class RawStream extends CUstream {
    long handle() { return getNativePointer(); }
}
