// BufferView (engine) → DevTensor (kernel view): the device address of [0, 0].
package dev.strata.cuda;

import dev.strata.engine.backend.BufferView;

final class DevTensors {
    private DevTensors() {}

    static DevTensor of(BufferView v) {
        long base = ((CudaMemory) v.buffer()).address();
        return new DevTensor(base + v.byteOffset(), v.rows(), v.cols(), v.rowStride(), v.dtype());
    }
}
