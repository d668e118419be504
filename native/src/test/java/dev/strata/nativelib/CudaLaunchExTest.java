// cuLaunchKernelEx's arguments are built without a GPU and checked against cuda.h's layouts
// (CUDA 13.0 headers, offsetof/sizeof printed by a C program on the build machine): the launch
// config's fields, the programmatic-serialization attribute, and the kernelParams array whose
// entries point at each argument's value.
package dev.strata.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

class CudaLaunchExTest {
    @Test
    void configHoldsGridBlockSharedStreamAndTheAttribute() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment c = CudaLaunchEx.config(arena, 512, 3, 2, 256, 51200, 0x7f00_1234_5678L, true);
            assertEquals(56, c.byteSize());
            int[] expected = {512, 3, 2, 256, 1, 1, 51200};
            for (int i = 0; i < expected.length; i++) assertEquals(expected[i], c.get(ValueLayout.JAVA_INT, 4L * i), "u32 field " + i);
            assertEquals(0x7f00_1234_5678L, c.get(ValueLayout.JAVA_LONG, 32), "hStream");
            assertEquals(1, c.get(ValueLayout.JAVA_INT, 48), "numAttrs");
            MemorySegment attr = c.get(ValueLayout.ADDRESS, 40).reinterpret(72);
            assertEquals(6, attr.get(ValueLayout.JAVA_INT, 0), "CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION");
            assertEquals(1, attr.get(ValueLayout.JAVA_INT, 8), "programmaticStreamSerializationAllowed");

            MemorySegment plain = CudaLaunchEx.config(arena, 1, 1, 1, 32, 0, 0, false);
            assertEquals(0, plain.get(ValueLayout.JAVA_INT, 48), "no attributes");
            assertEquals(0, plain.get(ValueLayout.JAVA_LONG, 40), "attrs null");
        }
    }

    @Test
    void kernelParamsPointAtEachValue() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = CudaLaunchEx.kernelParams(arena, List.of(0x1234_5678_9abcL, -7, 2.5f));
            MemorySegment a0 = p.get(ValueLayout.ADDRESS, 0).reinterpret(8), a1 = p.get(ValueLayout.ADDRESS, 8).reinterpret(4),
                    a2 = p.get(ValueLayout.ADDRESS, 16).reinterpret(4);
            assertEquals(0x1234_5678_9abcL, a0.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(-7, a1.get(ValueLayout.JAVA_INT, 0));
            assertEquals(2.5f, a2.get(ValueLayout.JAVA_FLOAT, 0));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CudaLaunchEx.kernelParams(arena, List.of(1.0)));
            assertTrue(e.getMessage().contains("expected Long (address), Integer or Float"), e.getMessage());
        }
    }
}
