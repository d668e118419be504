// A tensor to be written by SafetensorsWriter: dtype, shape and its little-endian bytes.
package dev.strata.loader;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

public record WritableTensor(SafetensorsDtype dtype, long[] shape, MemorySegment data) {

    public WritableTensor {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(data, "data");
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }
}
