// One validated ONNX TensorProto: type, shape and its bytes, a slice of the file mapping where the file allows.
package dev.strata.loader.onnx;

import dev.strata.loader.TensorInfo;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * @param fileOffset absolute offset of {@code raw_data} in the file, or -1 when the values were stored in a typed
 *                   field ({@code float_data}, {@code int64_data}, ...) and copied into the file's arena
 * @param data       read-only little-endian, row-major bytes; not necessarily aligned to the element size
 */
public record OnnxTensor(String name, OnnxDataType type, long[] shape, long fileOffset, MemorySegment data) {


    public OnnxTensor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
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

    public long byteLength() {
        return data.byteSize();
    }

    public long elementCount() {
        return data.byteSize() / type.byteSize();
    }

    /** As a safetensors-style entry; {@code dataOffset} is {@link #fileOffset} (-1 for copied values). */
    public TensorInfo info() {
        return new TensorInfo(name, type.dtype(), shape, fileOffset, data.byteSize());
    }

    /** Values of a small INT64 or INT32 tensor (a shape constant, say); null for any other type or a large one. */
    public long[] integers() {
        if ((type != OnnxDataType.INT64 && type != OnnxDataType.INT32) || elementCount() > 64) {
            return null;
        }
        long[] out = new long[(int) elementCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = type == OnnxDataType.INT64 ? data.get(ProtoReader.I64_LE, 8L * i) : data.get(ProtoReader.I32_LE, 4L * i);
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OnnxTensor t && name.equals(t.name) && type == t.type && Arrays.equals(shape, t.shape)
                && fileOffset == t.fileOffset && data.equals(t.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, Arrays.hashCode(shape), fileOffset);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape)
                + (fileOffset >= 0 ? " @" + fileOffset : " (copied)") + "+" + data.byteSize();
    }
}
