// Vector widening of stored F16 and BF16 values must agree bit for bit with the scalar
// conversions for all 65536 encodings (NaNs: both NaN), at unaligned offsets.
package dev.strata.engine.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class LanesTest {
    @Test
    void widensEveryHalfAndBfloatEncoding() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(2 * (65536 + 1), 1);
            for (int h = 0; h < 65536; h++) seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, h + 1, (short) h);
            for (int h = 0; h + Lanes.L <= 65536; h += Lanes.L) {
                FloatVector f16 = Lanes.load(Lanes.KIND_F16, seg, h + 1), bf16 = Lanes.load(Lanes.KIND_BF16, seg, h + 1);
                for (int l = 0; l < Lanes.L; l++) {
                    short bits = (short) (h + l);
                    same(Float.float16ToFloat(bits), f16.lane(l), "F16 0x" + Integer.toHexString(h + l));
                    same(Float.intBitsToFloat(bits << 16), bf16.lane(l), "BF16 0x" + Integer.toHexString(h + l));
                    same(Float.float16ToFloat(bits), Lanes.scalar(Lanes.KIND_F16, seg, h + l + 1), "scalar F16");
                }
            }
        }
    }

    private static void same(float expected, float actual, String what) {
        if (Float.isNaN(expected)) assertTrue(Float.isNaN(actual), what + ": expected NaN, got " + actual);
        else assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual), what + ": expected " + expected + ", got " + actual);
    }
}
