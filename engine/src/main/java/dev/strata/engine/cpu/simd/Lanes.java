// Vector API building blocks shared by the CPU kernels: the preferred float species, and loads of
// L consecutive elements of any stored float dtype (F32, F16, BF16) as one FloatVector, so a
// kernel is written once and reads memory-mapped weights as stored (little-endian, unaligned).
package dev.strata.engine.cpu.simd;

import dev.strata.engine.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

public final class Lanes {
    private Lanes() {}

    public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector: 8 with AVX2, 16 with AVX-512. */
    public static final int L = F.length();
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    public static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;

    /** Dtype codes for {@link #load} and {@link #scalar}; an int so the JIT can unswitch on it. */
    public static final int KIND_F32 = 0, KIND_F16 = 1, KIND_BF16 = 2;

    public static int kind(DType dtype) {
        return switch (dtype) {
            case F32 -> KIND_F32;
            case F16 -> KIND_F16;
            case BF16 -> KIND_BF16;
            default -> throw new IllegalArgumentException("not an F32, F16 or BF16 tensor: " + dtype);
        };
    }

    /** F32 lanes at element index i. */
    public static FloatVector f32(MemorySegment seg, long i) {
        return FloatVector.fromMemorySegment(F, seg, i * Float.BYTES, LE);
    }

    public static void store(FloatVector v, MemorySegment seg, long i) {
        v.intoMemorySegment(seg, i * Float.BYTES, LE);
    }

    /** L elements of the given kind starting at element index i, widened to float. */
    public static FloatVector load(int kind, MemorySegment seg, long i) {
        if (kind == KIND_F32) return f32(seg, i);
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, seg, i * Short.BYTES, LE).convertShape(VectorOperators.S2I, I, 0);
        return kind == KIND_BF16 ? h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats() : f16(h);
    }

    /**
     * IEEE half bits (sign-extended in int lanes) to float: the magnitude bits shifted into float
     * position and scaled by 2^112 give normals and subnormals exactly; Inf/NaN get the float
     * exponent forced to all ones (payload kept); then the sign is put back.
     */
    static FloatVector f16(IntVector h) {
        IntVector mag = h.and(0x7fff);
        IntVector bits = mag.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        bits = bits.lanewise(VectorOperators.OR, 0x7f800000, mag.compare(VectorOperators.GE, 0x7c00));
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** One element of the given kind at element index i. */
    public static float scalar(int kind, MemorySegment seg, long i) {
        if (kind == KIND_F32) return seg.getAtIndex(FLOAT, i);
        short h = seg.getAtIndex(SHORT, i);
        return kind == KIND_BF16 ? Float.intBitsToFloat(h << 16) : Float.float16ToFloat(h);
    }

    public static float f32At(MemorySegment seg, long i) { return seg.getAtIndex(FLOAT, i); }

    public static void f32Set(MemorySegment seg, long i, float v) { seg.setAtIndex(FLOAT, i, v); }

    /**
     * Sum of a vector's lanes in lane order. {@code reduceLanes(ADD)} is unordered: its
     * interpreted and JIT-intrinsified forms add in different orders, so results would change in
     * their last bits once the JIT compiles a kernel; this keeps the fast path reproducible.
     */
    public static float sum(FloatVector v) {
        float s = 0f;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }
}
