// Parses ModelProto -> GraphProto -> NodeProto/TensorProto/ValueInfoProto, with limits against hostile files.
package dev.strata.loader.onnx;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Only the main graph is read; subgraphs in attributes (If, Loop) and training info are skipped unparsed. */
final class ModelProtoParser {

    private final MemorySegment mapping;
    private final Arena arena;
    private final String source;

    private ModelProtoParser(MemorySegment mapping, Arena arena, String source) {
        this.mapping = mapping;
        this.arena = arena;
        this.source = source;
    }

    static OnnxGraph parse(MemorySegment mapping, Arena arena, String source) throws OnnxException {
        return new ModelProtoParser(mapping, arena, source).model(new ProtoReader(mapping, 0, mapping.byteSize(), source));
    }

    private OnnxGraph model(ProtoReader r) throws OnnxException {
        long irVersion = 0;
        long opset = 0;
        String producer = "";
        OnnxGraph graph = null;
        long graphOffset = -1;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> {
                    r.expect(ProtoReader.VARINT, "ir_version");
                    irVersion = r.readVarint();
                }
                case 2 -> {
                    r.expect(ProtoReader.LEN, "producer_name");
                    producer = r.readString(OnnxFile.MAX_NAME_BYTES);
                }
                case 7 -> {
                    r.expect(ProtoReader.LEN, "graph");
                    if (graph != null) {
                        throw r.error(r.tagOffset(), "a second graph; the first is at offset " + graphOffset);
                    }
                    graphOffset = r.tagOffset();
                    graph = graph(r.readMessage());
                }
                case 8 -> {
                    r.expect(ProtoReader.LEN, "opset_import");
                    long v = opsetImport(r.readMessage());
                    opset = v >= 0 ? v : opset;
                }
                default -> r.skip();
            }
        }
        if (graph == null) {
            throw new OnnxException(source + ": no graph (ModelProto field 7); expected an ONNX model");
        }
        return new OnnxGraph(irVersion, producer, opset, graph.nodes(), graph.initializers(), graph.inputs(),
                graph.outputs());
    }

    /** Version of the default-domain operator set, or -1 for another domain. */
    private static long opsetImport(ProtoReader r) throws OnnxException {
        String domain = "";
        long version = 0;
        while (r.next()) {
            if (r.field() == 1 && r.wireType() == ProtoReader.LEN) {
                domain = r.readString(OnnxFile.MAX_NAME_BYTES);
            } else if (r.field() == 2 && r.wireType() == ProtoReader.VARINT) {
                version = r.readVarint();
            } else {
                r.skip();
            }
        }
        return domain.isEmpty() || domain.equals("ai.onnx") ? version : -1;
    }

    private OnnxGraph graph(ProtoReader r) throws OnnxException {
        List<OnnxNode> nodes = new ArrayList<>();
        Map<String, OnnxTensor> initializers = new LinkedHashMap<>();
        Map<String, Long> initializerOffsets = new HashMap<>();
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        while (r.next()) {
            long at = r.tagOffset();
            switch (r.field()) {
                case 1 -> {
                    r.expect(ProtoReader.LEN, "node");
                    limit(nodes.size(), OnnxFile.MAX_NODES, "nodes", r);
                    nodes.add(node(r.readMessage()));
                }
                case 5 -> {
                    r.expect(ProtoReader.LEN, "initializer");
                    limit(initializers.size(), OnnxFile.MAX_INITIALIZERS, "initializers", r);
                    OnnxTensor t = TensorProtoParser.parse(r.readMessage(), mapping, arena);
                    if (t.name().isEmpty()) {
                        throw r.error(at, "initializer has no name");
                    }
                    Long first = initializerOffsets.putIfAbsent(t.name(), at);
                    if (first != null) {
                        throw r.error(at, "duplicate initializer '" + t.name() + "'; the first is at offset " + first);
                    }
                    initializers.put(t.name(), t);
                }
                case 11, 12 -> {
                    r.expect(ProtoReader.LEN, r.field() == 11 ? "input" : "output");
                    List<String> into = r.field() == 11 ? inputs : outputs;
                    limit(into.size(), OnnxFile.MAX_GRAPH_IO, "graph inputs or outputs", r);
                    into.add(valueInfoName(r.readMessage()));
                }
                case 15 -> throw r.error(at, "sparse_initializer is not supported");
                default -> r.skip();
            }
        }
        return new OnnxGraph(0, "", 0, nodes, initializers, inputs, outputs);
    }

    private static String valueInfoName(ProtoReader r) throws OnnxException {
        String name = "";
        while (r.next()) {
            if (r.field() == 1) {
                r.expect(ProtoReader.LEN, "ValueInfoProto.name");
                name = r.readString(OnnxFile.MAX_NAME_BYTES);
            } else {
                r.skip();
            }
        }
        return name;
    }

    private OnnxNode node(ProtoReader r) throws OnnxException {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        Map<String, OnnxAttribute> attributes = new HashMap<>();
        String name = "";
        String opType = "";
        String domain = "";
        long start = r.position();
        while (r.next()) {
            switch (r.field()) {
                case 1, 2 -> {
                    r.expect(ProtoReader.LEN, r.field() == 1 ? "node input" : "node output");
                    List<String> into = r.field() == 1 ? inputs : outputs;
                    limit(into.size(), OnnxFile.MAX_NODE_IO, "node inputs or outputs", r);
                    into.add(r.readString(OnnxFile.MAX_NAME_BYTES));
                }
                case 3 -> {
                    r.expect(ProtoReader.LEN, "node name");
                    name = r.readString(OnnxFile.MAX_NAME_BYTES);
                }
                case 4 -> {
                    r.expect(ProtoReader.LEN, "op_type");
                    opType = r.readString(OnnxFile.MAX_NAME_BYTES);
                }
                case 5 -> {
                    r.expect(ProtoReader.LEN, "attribute");
                    long at = r.tagOffset();
                    limit(attributes.size(), OnnxFile.MAX_NODE_IO, "node attributes", r);
                    OnnxAttribute a = attribute(r.readMessage());
                    if (attributes.putIfAbsent(a.name(), a) != null) {
                        throw r.error(at, "duplicate attribute '" + a.name() + "' in node '" + name + "'");
                    }
                }
                case 7 -> {
                    r.expect(ProtoReader.LEN, "node domain");
                    domain = r.readString(OnnxFile.MAX_NAME_BYTES);
                }
                default -> r.skip();
            }
        }
        if (opType.isEmpty()) {
            throw r.error(start, "node '" + name + "' has no op_type");
        }
        return new OnnxNode(name, opType, domain, inputs, outputs, attributes);
    }

    private OnnxAttribute attribute(ProtoReader r) throws OnnxException {
        String name = "";
        int type = 0;
        float f = 0;
        long i = 0;
        List<Long> ints = new ArrayList<>();
        OnnxTensor tensor = null;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> {
                    r.expect(ProtoReader.LEN, "attribute name");
                    name = r.readString(OnnxFile.MAX_NAME_BYTES);
                }
                case 2 -> {
                    r.expect(ProtoReader.I32, "attribute f");
                    f = Float.intBitsToFloat(r.readFixed32());
                }
                case 3 -> {
                    r.expect(ProtoReader.VARINT, "attribute i");
                    i = r.readVarint();
                }
                case 5 -> {
                    r.expect(ProtoReader.LEN, "attribute t");
                    tensor = TensorProtoParser.parse(r.readMessage(), mapping, arena);
                }
                case 8 -> readInts(r, ints);
                case 20 -> {
                    r.expect(ProtoReader.VARINT, "attribute type");
                    type = (int) Math.min(r.readVarint(), Integer.MAX_VALUE);
                }
                default -> r.skip();
            }
        }
        return new OnnxAttribute(name, type, f, i, ints.stream().mapToLong(Long::longValue).toArray(), tensor);
    }

    private static void readInts(ProtoReader r, List<Long> into) throws OnnxException {
        if (r.wireType() == ProtoReader.LEN) {
            ProtoReader packed = r.readMessage();
            while (packed.position() < packed.end()) {
                limit(into.size(), OnnxFile.MAX_NODE_IO, "attribute ints", packed);
                into.add(packed.readVarint());
            }
        } else {
            r.expect(ProtoReader.VARINT, "attribute ints");
            limit(into.size(), OnnxFile.MAX_NODE_IO, "attribute ints", r);
            into.add(r.readVarint());
        }
    }

    private static void limit(int count, int max, String what, ProtoReader r) throws OnnxException {
        if (count >= max) {
            throw r.error(r.tagOffset(), "more than " + max + " " + what);
        }
    }
}
