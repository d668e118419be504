// A read-only, memory-mapped safetensors file whose header was validated before any tensor is exposed.
package dev.strata.loader;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Zero-copy view of a safetensors file. The mapping lives in this file's own shared {@link Arena};
 * segments returned by {@link #data} become inaccessible after {@link #close}.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Largest header accepted, as a guard against hostile length prefixes. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ValueLayout.OfLong U64_LE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final SafetensorsHeader header;

    private SafetensorsFile(Path path, Arena arena, MemorySegment mapping, SafetensorsHeader header) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.header = header;
    }

    public static SafetensorsFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new SafetensorsException(path + ": file is " + size + " bytes; a safetensors file needs at least 8");
            }
            MemorySegment mapping = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long n = mapping.get(U64_LE, 0);
            if (n < 0 || n > MAX_HEADER_BYTES) {
                throw new SafetensorsException(path + ": header length " + Long.toUnsignedString(n)
                        + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
            }
            if (n > size - 8) {
                throw new SafetensorsException(path + ": header length " + n + " runs past the end of the file ("
                        + (size - 8) + " bytes after the length prefix)");
            }
            byte[] headerBytes = mapping.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
            SafetensorsHeader header = SafetensorsHeader.parse(headerBytes, size - 8 - n, path.toString());
            return new SafetensorsFile(path, arena, mapping, header);
        } catch (IOException | RuntimeException ex) {
            arena.close();
            throw ex;
        }
    }

    public Path path() {
        return path;
    }

    /** All tensors, in the order of the file's header. */
    public Map<String, TensorInfo> tensors() {
        return header.tensors();
    }

    public Map<String, String> metadata() {
        return header.metadata();
    }

    public boolean contains(String name) {
        return header.tensors().containsKey(name);
    }

    public TensorInfo info(String name) {
        TensorInfo t = header.tensors().get(name);
        if (t == null) {
            throw new NoSuchElementException("tensor '" + name + "' not found in " + path + " ("
                    + header.tensors().size() + " tensors)");
        }
        return t;
    }

    /** Read-only slice of the mapping holding the tensor's bytes (little-endian, row-major). */
    public MemorySegment data(String name) {
        TensorInfo t = info(name);
        return mapping.asSlice(t.dataOffset(), t.byteLength()).asReadOnly();
    }

    @Override
    public void close() {
        arena.close();
    }
}
