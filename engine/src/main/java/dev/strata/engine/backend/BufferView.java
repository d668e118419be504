// Where a tensor lives on a device: buffer, element offset of [0, 0], shape and row stride.
package dev.strata.engine.backend;

import dev.strata.engine.tensor.DType;

public record BufferView(DeviceBuffer buffer, long offset, int rows, int cols, int rowStride, DType dtype) {
    public long byteOffset() { return dtype.bytesFor(offset); }
}
