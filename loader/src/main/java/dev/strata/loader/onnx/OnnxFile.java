// A read-only, memory-mapped ONNX model whose graph and initializers were validated before any tensor is exposed.
package dev.strata.loader.onnx;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Zero-copy view of an .onnx file. The mapping, and the few initializers stored in typed fields rather than
 * {@code raw_data} (copied), live in this file's own shared {@link Arena}; segments returned by {@link #data}
 * become inaccessible after {@link #close}. External data is not supported.
 */
public final class OnnxFile implements AutoCloseable {

    public static final int MAX_NAME_BYTES = 1 << 16;
    public static final int MAX_NODES = 1 << 20;
    public static final int MAX_INITIALIZERS = 1 << 20;
    public static final int MAX_GRAPH_IO = 1 << 16;
    public static final int MAX_NODE_IO = 1 << 16;

    private final Path path;
    private final Arena arena;
    private final OnnxGraph graph;

    private OnnxFile(Path path, Arena arena, OnnxGraph graph) {
        this.path = path;
        this.arena = arena;
        this.graph = graph;
    }

    public static OnnxFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) {
                throw new OnnxException(path + ": file is 0 bytes; expected an ONNX ModelProto");
            }
            MemorySegment mapping = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new OnnxFile(path, arena, ModelProtoParser.parse(mapping, arena, path.toString()));
        } catch (IOException | RuntimeException ex) {
            arena.close();
            throw ex;
        }
    }

    public Path path() {
        return path;
    }

    public OnnxGraph graph() {
        return graph;
    }

    public List<OnnxNode> nodes() {
        return graph.nodes();
    }

    /** Initializers by name, in file order. */
    public Map<String, OnnxTensor> initializers() {
        return graph.initializers();
    }

    public boolean contains(String name) {
        return graph.initializers().containsKey(name);
    }

    public OnnxTensor initializer(String name) {
        OnnxTensor t = graph.initializers().get(name);
        if (t == null) {
            throw new NoSuchElementException("initializer '" + name + "' not found in " + path + " ("
                    + graph.initializers().size() + " initializers)");
        }
        return t;
    }

    /** Read-only bytes of an initializer: a slice of the mapping for raw_data, else the arena copy. */
    public MemorySegment data(String name) {
        return initializer(name).data();
    }

    @Override
    public void close() {
        arena.close();
    }
}
