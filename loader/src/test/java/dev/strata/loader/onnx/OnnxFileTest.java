// OnnxFile on small hand-built models: zero-copy raw_data, copied typed fields, nodes, and malformed files.
package dev.strata.loader.onnx;

import static dev.strata.loader.onnx.OnnxModels.FLOAT;
import static dev.strata.loader.onnx.OnnxModels.floatData;
import static dev.strata.loader.onnx.OnnxModels.floatRaw;
import static dev.strata.loader.onnx.OnnxModels.int64Data;
import static dev.strata.loader.onnx.OnnxModels.model;
import static dev.strata.loader.onnx.OnnxModels.node;
import static dev.strata.loader.onnx.OnnxModels.rawTensor;
import static dev.strata.loader.onnx.OnnxModels.valueInfo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.loader.SafetensorsDtype;
import dev.strata.loader.TensorInfo;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxFileTest {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    private String rejected(byte[] bytes) throws IOException {
        Path file = OnnxModels.write(dir, "bad.onnx", bytes);
        OnnxException ex = assertThrows(OnnxException.class, () -> OnnxFile.open(file).close());
        assertTrue(ex.getMessage().startsWith(file.toString()), () -> "message should name the file: " + ex.getMessage());
        return ex.getMessage();
    }

    private String rejectedTensor(Proto tensor) throws IOException {
        return rejected(model(Proto.msg().msg(5, tensor)));
    }

    private static void assertContains(String message, String expected) {
        assertTrue(message.contains(expected), () -> "expected '" + expected + "' in: " + message);
    }

    static Proto tinyGraph() {
        return Proto.msg()
                .msg(1, node("MatMul", "q/MatMul", List.of("x", "onnx::MatMul_1"), List.of("q_mm")))
                .msg(1, node("Add", "q/Add", List.of("encoder.layer.0.attention.self.query.bias", "q_mm"), List.of("y"))
                        .msg(5, Proto.msg().string(1, "alpha").fixed32(2, Float.floatToIntBits(0.5f)).varint(20, 1))
                        .msg(5, Proto.msg().string(1, "axes").packed(8, 0, 2).varint(20, 7)))
                .string(2, "tiny")
                .msg(5, floatRaw("onnx::MatMul_1", 3, 2))
                .msg(5, floatData("encoder.layer.0.attention.self.query.bias", new long[] {2}, 1.5f, -2.5f))
                .msg(5, int64Data("shape", new long[] {4}, 0, 0, 12, 32))
                .msg(11, valueInfo("x"))
                .msg(12, valueInfo("y"))
                .varint(99, 7)
                .string(98, "unknown field");
    }

    @Test
    void readsTinyGraph() throws IOException {
        byte[] bytes = model(tinyGraph());
        Path file = OnnxModels.write(dir, "tiny.onnx", bytes);
        try (OnnxFile f = OnnxFile.open(file)) {
            OnnxGraph g = f.graph();
            assertEquals(8, g.irVersion());
            assertEquals(17, g.opsetVersion());
            assertEquals("test", g.producerName());
            assertEquals(List.of("x"), g.inputs());
            assertEquals(List.of("y"), g.outputs());
            assertEquals(List.of("onnx::MatMul_1", "encoder.layer.0.attention.self.query.bias", "shape"),
                    List.copyOf(f.initializers().keySet()));
            assertEquals(2, f.nodes().size());
            OnnxNode add = f.nodes().get(1);
            assertEquals("Add", add.opType());
            assertEquals(List.of("encoder.layer.0.attention.self.query.bias", "q_mm"), add.inputs());
            assertEquals(List.of("y"), add.outputs());
            assertEquals(0.5f, add.attribute("alpha").f());
            assertArrayEquals(new long[] {0, 2}, add.attribute("axes").ints());

            OnnxTensor w = f.initializer("onnx::MatMul_1");
            assertArrayEquals(new long[] {3, 2}, w.shape());
            assertEquals(OnnxDataType.FLOAT, w.type());
            byte[] expected = Proto.floats(0, 1, 2, 3, 4, 5);
            assertEquals(24, w.byteLength());
            assertArrayEquals(expected, Arrays.copyOfRange(bytes, (int) w.fileOffset(), (int) w.fileOffset() + 24),
                    "fileOffset must point at raw_data inside the file");
            assertEquals(5f, f.data("onnx::MatMul_1").get(F32, 20));
            TensorInfo info = w.info();
            assertEquals(SafetensorsDtype.F32, info.dtype());
            assertEquals(w.fileOffset(), info.dataOffset());

            OnnxTensor bias = f.initializer("encoder.layer.0.attention.self.query.bias");
            assertEquals(-1, bias.fileOffset());
            assertEquals(1.5f, bias.data().get(F32, 0));
            assertEquals(-2.5f, bias.data().get(F32, 4));
            assertArrayEquals(new long[] {0, 0, 12, 32}, f.initializer("shape").integers());
            assertTrue(w.data().isReadOnly());
        }
    }

    @Test
    void unpackedDimsAndFloatData() throws IOException {
        Proto t = Proto.msg().varint(1, 2).varint(1, 1).varint(2, FLOAT)
                .fixed32(4, Float.floatToIntBits(3f)).fixed32(4, Float.floatToIntBits(4f)).string(8, "u");
        try (OnnxFile f = OnnxFile.open(OnnxModels.write(dir, "u.onnx", model(Proto.msg().msg(5, t))))) {
            OnnxTensor u = f.initializer("u");
            assertArrayEquals(new long[] {2, 1}, u.shape());
            assertEquals(4f, u.data().get(F32, 4));
        }
    }

    @Test
    void scalarAndEmptyTensors() throws IOException {
        Proto graph = Proto.msg().msg(5, rawTensor("s", FLOAT, new long[0], Proto.floats(7f)))
                .msg(5, Proto.msg().packed(1, 0, 3).varint(2, FLOAT).string(8, "empty"));
        try (OnnxFile f = OnnxFile.open(OnnxModels.write(dir, "s.onnx", model(graph)))) {
            assertEquals(7f, f.data("s").get(F32, 0));
            assertEquals(0, f.initializer("empty").byteLength());
        }
    }

    @Test
    void emptyFile() throws IOException {
        assertContains(rejected(new byte[0]), "file is 0 bytes; expected an ONNX ModelProto");
    }

    @Test
    void noGraph() throws IOException {
        assertContains(rejected(Proto.msg().varint(1, 8).bytes()), "no graph (ModelProto field 7)");
    }

    @Test
    void truncated() throws IOException {
        byte[] bytes = model(tinyGraph());
        String msg = rejected(Arrays.copyOf(bytes, bytes.length - 40));
        assertContains(msg, "at offset ");
        assertContains(msg, "runs past the end of the enclosing message");
    }

    @Test
    void truncatedInsideTensor() throws IOException {
        byte[] bytes = model(Proto.msg().msg(5, floatRaw("w", 4)));
        int graphEnd = bytes.length - Proto.msg().msg(8, Proto.msg().string(1, "").varint(2, 17)).bytes().length;
        String msg = rejected(Arrays.copyOf(bytes, graphEnd - 1));
        assertContains(msg, "runs past the end of the enclosing message");
    }

    @Test
    void shapeAndLengthMismatch() throws IOException {
        String msg = rejectedTensor(rawTensor("w", FLOAT, new long[] {2, 3}, new byte[20]));
        assertContains(msg, "tensor 'w' (at offset ");
        assertContains(msg, "FLOAT [2, 3] needs 24 bytes; raw_data holds 20");
    }

    @Test
    void floatDataCountMismatch() throws IOException {
        assertContains(rejectedTensor(floatData("f", new long[] {2, 3}, 1, 2, 3, 4, 5)),
                "FLOAT [2, 3] has 5 float_data values; expected 6");
    }

    @Test
    void int64DataCountMismatch() throws IOException {
        assertContains(rejectedTensor(int64Data("i", new long[] {3}, 300, 1L << 40)), "INT64 [3] has 2 int64_data values; expected 3");
        assertContains(rejectedTensor(int64Data("i", new long[] {1}, 1, 2)), "has more int64_data values than its 1 elements");
        assertContains(rejectedTensor(int64Data("i", new long[] {1000}, 1)), "has at most 1 int64_data values in 1 bytes; expected 1000");
    }

    @Test
    void typedFieldForWrongType() throws IOException {
        Proto t = Proto.msg().packed(1, 2).varint(2, 10).bytes(4, Proto.floats(1, 2)).string(8, "h");
        assertContains(rejectedTensor(t), "stores values in float_data, which is supported only for FLOAT; expected raw_data");
    }

    @Test
    void unsupportedTypedField() throws IOException {
        Proto t = Proto.msg().packed(1, 1).varint(2, 11).bytes(10, new byte[8]).string(8, "d");
        assertContains(rejectedTensor(t), "tensor 'd' (at offset ");
        assertContains(rejectedTensor(t), "DOUBLE [1] stores values in double_data, which is not supported; expected raw_data");
    }

    @Test
    void twoDataSources() throws IOException {
        Proto t = floatData("b", new long[] {1}, 1f).bytes(9, new byte[4]);
        assertContains(rejectedTensor(t), "stores values in both raw_data and float_data");
    }

    @Test
    void noData() throws IOException {
        assertContains(rejectedTensor(Proto.msg().packed(1, 2).varint(2, FLOAT).string(8, "n")),
                "FLOAT [2] has no data; expected 8 bytes of raw_data");
    }

    @Test
    void unknownDataType() throws IOException {
        assertContains(rejectedTensor(rawTensor("s", 8, new long[] {1}, new byte[1])),
                "tensor 's' (at offset ");
        assertContains(rejectedTensor(rawTensor("s", 8, new long[] {1}, new byte[1])),
                "has data_type STRING (8), which is not supported; expected one of FLOAT(1)");
        assertContains(rejectedTensor(rawTensor("s", 99, new long[] {1}, new byte[1])), "data_type unknown (99)");
        assertContains(rejectedTensor(Proto.msg().packed(1, 1).string(8, "s")), "data_type UNDEFINED (0)");
    }

    @Test
    void externalData() throws IOException {
        Proto byLocation = rawTensor("e", FLOAT, new long[] {1}, new byte[0]).varint(14, 1);
        assertContains(rejectedTensor(byLocation), "tensor 'e' (at offset ");
        assertContains(rejectedTensor(byLocation), "external data is not supported");
        Proto byEntries = Proto.msg().packed(1, 4).varint(2, FLOAT).string(8, "e")
                .msg(13, Proto.msg().string(1, "location").string(2, "weights.bin"));
        assertContains(rejectedTensor(byEntries), "external data is not supported");
    }

    @Test
    void negativeDimension() throws IOException {
        assertContains(rejectedTensor(rawTensor("n", FLOAT, new long[] {2, -1}, new byte[0])),
                "FLOAT [2, -1] has a negative dimension -1");
    }

    @Test
    void elementCountOverflow() throws IOException {
        assertContains(rejectedTensor(rawTensor("o", FLOAT, new long[] {1L << 40, 1L << 40}, new byte[0])),
                "element count overflows 64 bits");
        assertContains(rejectedTensor(rawTensor("o", FLOAT, new long[] {1L << 62}, new byte[0])),
                "element count overflows 64 bits");
    }

    @Test
    void duplicateInitializer() throws IOException {
        String msg = rejected(model(Proto.msg().msg(5, floatRaw("w", 2)).msg(5, floatRaw("w", 3))));
        assertContains(msg, "duplicate initializer 'w'; the first is at offset ");
    }

    @Test
    void unnamedInitializer() throws IOException {
        assertContains(rejected(model(Proto.msg().msg(5, floatRaw("", 2)))), "initializer has no name");
    }

    @Test
    void twoGraphs() throws IOException {
        byte[] bytes = Proto.msg().msg(7, Proto.msg()).msg(7, Proto.msg()).bytes();
        assertContains(rejected(bytes), "a second graph; the first is at offset 0");
    }

    @Test
    void segmentedAndSparse() throws IOException {
        assertContains(rejectedTensor(floatRaw("s", 1).msg(3, Proto.msg().varint(1, 0))), "segmented tensors");
        assertContains(rejected(model(Proto.msg().msg(15, Proto.msg()))), "sparse_initializer is not supported");
    }

    @Test
    void nodeWithoutOpType() throws IOException {
        assertContains(rejected(model(Proto.msg().msg(1, Proto.msg().string(3, "n")))), "node 'n' has no op_type");
    }

    @Test
    void groupInsideGraph() throws IOException {
        assertContains(rejected(model(Proto.msg().tag(16, 3).tag(16, 4))), "field 16 uses wire type 3 (group)");
    }

    @Test
    void tooManyDims() throws IOException {
        long[] dims = new long[TensorProtoParser.MAX_RANK + 1];
        Arrays.fill(dims, 1);
        assertContains(rejectedTensor(rawTensor("r", FLOAT, dims, new byte[4])), "tensor has more than 64 dims");
    }

    @Test
    void closedFileDataIsInaccessible() throws IOException {
        Path file = OnnxModels.write(dir, "c.onnx", model(tinyGraph()));
        OnnxFile f = OnnxFile.open(file);
        var seg = f.data("onnx::MatMul_1");
        f.close();
        assertThrows(IllegalStateException.class, () -> seg.get(F32, 0));
        assertTrue(Files.exists(file));
    }
}
