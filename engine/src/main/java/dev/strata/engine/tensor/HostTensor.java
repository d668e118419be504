// A host-side tensor: dtype, shape and an off-heap MemorySegment holding the row-major data.
// Used for model inputs and outputs crossing the engine's API; weights stay memory-mapped.
package dev.strata.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

public record HostTensor(DType dtype, long[] shape, MemorySegment data) {
    public static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    public static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    public static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;

    public HostTensor {
        shape = shape.clone();
        long need = dtype.bytesFor(elementCount(shape));
        if (data.byteSize() != need) {
            throw new IllegalArgumentException("tensor of " + dtype + " " + Arrays.toString(shape) + " needs " + need + " bytes; got " + data.byteSize());
        }
    }

    public static HostTensor allocate(Arena arena, DType dtype, long... shape) {
        return new HostTensor(dtype, shape, arena.allocate(dtype.bytesFor(elementCount(shape)), 64));
    }

    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public long elementCount() { return elementCount(shape); }

    @Override public long[] shape() { return shape.clone(); }

    public long dim(int i) { return shape[i]; }

    public int rank() { return shape.length; }

    /** Element i converted to double, for any floating or integer dtype. */
    public double getDouble(long i) {
        return switch (dtype) {
            case F32 -> data.getAtIndex(F32, i);
            case F64 -> data.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i);
            case F16 -> Float.float16ToFloat(data.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i));
            case BF16 -> Float.intBitsToFloat(data.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i) << 16);
            case I64 -> data.getAtIndex(I64, i);
            case I32 -> data.getAtIndex(I32, i);
        };
    }

    public long getLong(long i) {
        return switch (dtype) {
            case I64 -> data.getAtIndex(I64, i);
            case I32 -> data.getAtIndex(I32, i);
            default -> throw new IllegalStateException("tensor is " + dtype + "; expected an integer dtype");
        };
    }

    @Override public String toString() { return dtype + Arrays.toString(shape); }
}
