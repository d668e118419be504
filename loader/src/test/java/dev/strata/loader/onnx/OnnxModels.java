// Test helper: small ONNX ModelProto messages (tensors, nodes, graphs) built with Proto.
package dev.strata.loader.onnx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

final class OnnxModels {

    static final int FLOAT = 1;
    static final int INT64 = 7;

    private OnnxModels() {
    }

    static Proto rawTensor(String name, int dataType, long[] dims, byte[] raw) {
        return Proto.msg().packed(1, dims).varint(2, dataType).string(8, name).bytes(9, raw);
    }

    /** A FLOAT tensor filled with 0, 1, 2, ... in raw_data. */
    static Proto floatRaw(String name, long... dims) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = i;
        }
        return rawTensor(name, FLOAT, dims, Proto.floats(v));
    }

    /** A FLOAT tensor in packed float_data. */
    static Proto floatData(String name, long[] dims, float... values) {
        return Proto.msg().packed(1, dims).varint(2, FLOAT).bytes(4, Proto.floats(values)).string(8, name);
    }

    static Proto int64Data(String name, long[] dims, long... values) {
        return Proto.msg().packed(1, dims).varint(2, INT64).packed(7, values).string(8, name);
    }

    static Proto node(String op, String name, List<String> inputs, List<String> outputs) {
        Proto n = Proto.msg();
        inputs.forEach(i -> n.string(1, i));
        outputs.forEach(o -> n.string(2, o));
        return n.string(3, name).string(4, op);
    }

    static Proto valueInfo(String name) {
        return Proto.msg().string(1, name);
    }

    /** ModelProto: ir_version 8, a graph, opset 17 (after the graph, as exporters write it). */
    static byte[] model(Proto graph) {
        return Proto.msg().varint(1, 8).string(2, "test").msg(7, graph)
                .msg(8, Proto.msg().string(1, "").varint(2, 17)).bytes();
    }

    static Path write(Path dir, String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }
}
