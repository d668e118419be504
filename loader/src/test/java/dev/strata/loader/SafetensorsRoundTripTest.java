// Writer-to-reader round trips over several dtypes, shapes and memory kinds.
package dev.strata.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    private static MemorySegment bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return MemorySegment.ofArray(b);
    }

    @Test
    void roundTripsDtypesShapesAndMetadata() throws IOException {
        Map<String, WritableTensor> in = new LinkedHashMap<>();
        in.put("z.f32", new WritableTensor(SafetensorsDtype.F32, new long[] {3, 5}, bytes(60, 1)));
        in.put("a.f16", new WritableTensor(SafetensorsDtype.F16, new long[] {7}, bytes(14, 2)));
        in.put("bf16", new WritableTensor(SafetensorsDtype.BF16, new long[] {2, 3, 1}, bytes(12, 3)));
        in.put("i64", new WritableTensor(SafetensorsDtype.I64, new long[] {3}, bytes(24, 4)));
        in.put("i8", new WritableTensor(SafetensorsDtype.I8, new long[] {5}, bytes(5, 5)));
        in.put("bool", new WritableTensor(SafetensorsDtype.BOOL, new long[] {1, 1}, bytes(1, 6)));
        in.put("f64.scalar", new WritableTensor(SafetensorsDtype.F64, new long[] {}, bytes(8, 7)));
        in.put("empty", new WritableTensor(SafetensorsDtype.F32, new long[] {0, 3}, bytes(0, 8)));
        in.put("u8", new WritableTensor(SafetensorsDtype.U8, new long[] {3}, bytes(3, 9)));
        Path f = dir.resolve("rt.safetensors");
        SafetensorsWriter.write(f, in, Map.of("format", "pt", "note", "h\u00e9llo"));

        byte[] raw = Files.readAllBytes(f);
        long headerLength = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "header length is padded to 8");

        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertEquals(List.copyOf(in.keySet()), List.copyOf(sf.tensors().keySet()), "header order = map order");
            assertEquals(Map.of("format", "pt", "note", "h\u00e9llo"), sf.metadata());
            for (Map.Entry<String, WritableTensor> e : in.entrySet()) {
                TensorInfo t = sf.info(e.getKey());
                assertEquals(e.getValue().dtype(), t.dtype());
                assertArrayEquals(e.getValue().shape(), t.shape());
                assertArrayEquals(e.getValue().data().toArray(ValueLayout.JAVA_BYTE),
                        sf.data(e.getKey()).toArray(ValueLayout.JAVA_BYTE), e.getKey());
                assertTrue(sf.data(e.getKey()).isReadOnly());
            }
            assertEquals(1, sf.info("f64.scalar").elementCount());
            assertEquals(0, sf.info("empty").elementCount());
            assertEquals(8 + headerLength, sf.info("z.f32").dataOffset());
        }
    }

    @Test
    void streamsNativeAndNonByteHeapSegmentsLargerThanOneChunk() throws IOException {
        int n = 5_000_000;
        float[] floats = new float[n];
        for (int i = 0; i < n; i++) {
            floats[i] = i * 0.5f;
        }
        Path f = dir.resolve("big.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nat = arena.allocate(4L * n);
            for (int i = 0; i < n; i++) {
                nat.setAtIndex(F32_LE, i, -i);
            }
            Map<String, WritableTensor> in = new LinkedHashMap<>();
            in.put("heap", new WritableTensor(SafetensorsDtype.F32, new long[] {n}, MemorySegment.ofArray(floats)));
            in.put("native", new WritableTensor(SafetensorsDtype.F32, new long[] {1000, n / 1000}, nat));
            SafetensorsWriter.write(f, in, Map.of());
        }
        try (WeightSet w = WeightSet.of(SafetensorsFile.open(f))) {
            MemorySegment heap = w.data("heap");
            MemorySegment nat = w.data("native");
            for (int i : new int[] {0, 1, 2_097_151, 2_097_152, n - 1}) {
                assertEquals(i * 0.5f, heap.getAtIndex(F32_LE, i));
                assertEquals(-i, nat.getAtIndex(F32_LE, i));
            }
            assertEquals(8L * n, w.totalBytes());
        }
    }

    @Test
    void writerRejectsSizeMismatch() {
        Map<String, WritableTensor> in = Map.of("w",
                new WritableTensor(SafetensorsDtype.F32, new long[] {4, 8}, bytes(96, 0)));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsWriter.write(dir.resolve("x.safetensors"), in, Map.of()));
        assertEquals("tensor 'w' has 96 bytes of data; shape [4, 8] of F32 needs 128", ex.getMessage());
    }

    @Test
    void missingTensorNamesTheFileAndClosedFileIsInaccessible() throws IOException {
        Path f = dir.resolve("one.safetensors");
        SafetensorsWriter.write(f, Map.of("w", new WritableTensor(SafetensorsDtype.U8, new long[] {2}, bytes(2, 0))),
                Map.of());
        SafetensorsFile sf = SafetensorsFile.open(f);
        MemorySegment seg = sf.data("w");
        NoSuchElementException ex = assertThrows(NoSuchElementException.class, () -> sf.info("nope"));
        assertTrue(ex.getMessage().contains("tensor 'nope' not found in " + f), ex.getMessage());
        sf.close();
        assertThrows(IllegalStateException.class, () -> seg.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void dtypeParse() {
        assertEquals(SafetensorsDtype.BF16, SafetensorsDtype.parse("BF16"));
        assertEquals(2, SafetensorsDtype.parse("F16").byteSize());
        assertEquals(1, SafetensorsDtype.parse("F8_E4M3").byteSize());
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> SafetensorsDtype.parse("bf16"));
        assertTrue(ex.getMessage().startsWith("unknown safetensors dtype 'bf16'; expected one of F64, F32"));
    }
}
