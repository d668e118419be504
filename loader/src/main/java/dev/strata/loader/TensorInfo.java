// One tensor's entry in a safetensors header: dtype, shape and absolute byte range in the file.
package dev.strata.loader;

import java.util.Arrays;
import java.util.Objects;

/**
 * @param dataOffset absolute offset of the first byte in the file (8 + header length + begin)
 * @param byteLength number of bytes the tensor occupies
 */
public record TensorInfo(String name, SafetensorsDtype dtype, long[] shape, long dataOffset, long byteLength) {

    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i];
    }

    /** Product of the shape; 1 for a scalar. Overflow was excluded when the header was validated. */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && dataOffset == t.dataOffset && byteLength == t.byteLength;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), dataOffset, byteLength);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape) + " @" + dataOffset + "+" + byteLength;
    }
}
