// Writes safetensors files, streaming tensor data from MemorySegments in bounded chunks.
package dev.strata.loader;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

public final class SafetensorsWriter {

    private static final int CHUNK = 8 << 20;

    private SafetensorsWriter() {
    }

    /**
     * Writes {@code tensors} in map order, header padded with spaces to a multiple of 8 bytes.
     *
     * @throws IllegalArgumentException if a tensor's data size disagrees with its shape and dtype
     */
    public static void write(Path out, Map<String, WritableTensor> tensors, Map<String, String> metadata)
            throws IOException {
        byte[] header = header(tensors, metadata);
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
            writeFully(ch, prefix);
            writeFully(ch, ByteBuffer.wrap(header));
            for (WritableTensor t : tensors.values()) {
                writeSegment(ch, t.data());
            }
        }
    }

    private static byte[] header(Map<String, WritableTensor> tensors, Map<String, String> metadata)
            throws IOException {
        ObjectNode root = Json.STRICT.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = root.putObject(SafetensorsHeader.METADATA_KEY);
            metadata.forEach((k, v) -> meta.put(k, Objects.requireNonNull(v, "metadata value for " + k)));
        }
        long offset = 0;
        for (Map.Entry<String, WritableTensor> e : tensors.entrySet()) {
            String name = e.getKey();
            WritableTensor t = e.getValue();
            if (name.equals(SafetensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("tensor name '" + name + "' is reserved");
            }
            long size = byteSize(name, t);
            if (t.data().byteSize() != size) {
                throw new IllegalArgumentException("tensor '" + name + "' has " + t.data().byteSize()
                        + " bytes of data; shape " + Arrays.toString(t.shape()) + " of " + t.dtype() + " needs " + size);
            }
            ObjectNode entry = root.putObject(name);
            entry.put("dtype", t.dtype().name());
            ArrayNode shape = entry.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            entry.putArray("data_offsets").add(offset).add(offset + size);
            offset += size;
        }
        byte[] json = Json.STRICT.writeValueAsBytes(root);
        int padded = (json.length + 7) & ~7;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private static long byteSize(String name, WritableTensor t) {
        long n = t.dtype().byteSize();
        for (long d : t.shape()) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "' has negative dimension in shape "
                        + Arrays.toString(t.shape()));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static void writeSegment(FileChannel ch, MemorySegment data) throws IOException {
        boolean viewable = data.heapBase().map(b -> b instanceof byte[]).orElse(true);
        byte[] staging = viewable ? null : new byte[(int) Math.min(CHUNK, data.byteSize())];
        for (long off = 0; off < data.byteSize(); off += CHUNK) {
            int len = (int) Math.min(CHUNK, data.byteSize() - off);
            MemorySegment chunk = data.asSlice(off, len);
            if (viewable) {
                writeFully(ch, chunk.asByteBuffer());
            } else {
                MemorySegment.copy(chunk, ValueLayout.JAVA_BYTE, 0, staging, 0, len);
                writeFully(ch, ByteBuffer.wrap(staging, 0, len));
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
