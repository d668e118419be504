// Protocol-buffers wire-format reader over a byte range of a MemorySegment, bounds-checked at every read.
package dev.strata.loader.onnx;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads one message: call {@link #next()} until it returns false, then dispatch on {@link #field()} and read the
 * value with the method matching {@link #wireType()}, or {@link #skip()} it. Offsets in errors are absolute
 * offsets into the segment (for a mapped file, file offsets). Groups (wire types 3 and 4) are rejected.
 */
public final class ProtoReader {

    public static final int VARINT = 0;
    public static final int I64 = 1;
    public static final int LEN = 2;
    public static final int I32 = 5;

    private static final int MAX_VARINT_BYTES = 10;
    /** Little-endian, unaligned: protobuf fixed-width fields and ONNX raw_data alike. */
    static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment segment;
    private final String source;
    private final long end;
    private long pos;
    private long tagOffset;
    private int field;
    private int wireType;

    /** Reader over {@code [start, end)} of {@code segment}; {@code source} prefixes every error (e.g. the path). */
    public ProtoReader(MemorySegment segment, long start, long end, String source) {
        if (start < 0 || end < start || end > segment.byteSize()) {
            throw new IllegalArgumentException("range [" + start + ", " + end + ") outside a segment of "
                    + segment.byteSize() + " bytes");
        }
        this.segment = segment;
        this.source = source;
        this.pos = start;
        this.end = end;
    }

    /** Advances to the next field; false at the end of the message. */
    public boolean next() throws OnnxException {
        if (pos == end) {
            return false;
        }
        tagOffset = pos;
        long tag = readVarint();
        long number = tag >>> 3;
        int type = (int) (tag & 7);
        if (number == 0 || number > 0x1FFF_FFFFL) {
            throw error(tagOffset, "field number " + number + " is outside 1.." + 0x1FFF_FFFF);
        }
        switch (type) {
            case VARINT, I64, LEN, I32 -> { }
            case 3, 4 -> throw error(tagOffset, "field " + number + " uses wire type " + type
                    + " (group), which is not supported");
            default -> throw error(tagOffset, "field " + number + " has invalid wire type " + type
                    + "; expected 0, 1, 2 or 5");
        }
        field = (int) number;
        wireType = type;
        return true;
    }

    public int field() {
        return field;
    }

    public int wireType() {
        return wireType;
    }

    /** Absolute offset of the current field's tag. */
    public long tagOffset() {
        return tagOffset;
    }

    /** Absolute offset of the next unread byte. */
    public long position() {
        return pos;
    }

    public long end() {
        return end;
    }

    public String source() {
        return source;
    }

    public long readVarint() throws OnnxException {
        long start = pos;
        long value = 0;
        for (int i = 0; i < MAX_VARINT_BYTES; i++) {
            if (pos >= end) {
                throw error(start, "truncated varint: the message ends at offset " + end);
            }
            int b = segment.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF;
            if (i == MAX_VARINT_BYTES - 1 && (b & 0xFE) != 0) {
                throw error(start, (b & 0x80) != 0 ? "varint longer than 10 bytes" : "varint overflows 64 bits");
            }
            value |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new AssertionError("unreachable");
    }

    public int readFixed32() throws OnnxException {
        require(4, "fixed32");
        int v = segment.get(I32_LE, pos);
        pos += 4;
        return v;
    }

    public long readFixed64() throws OnnxException {
        require(8, "fixed64");
        long v = segment.get(I64_LE, pos);
        pos += 8;
        return v;
    }

    /**
     * Reads a length prefix and returns the absolute offset of the payload, which ends at {@link #position()};
     * the length is checked against the end of the enclosing message.
     */
    public long readLengthDelimited() throws OnnxException {
        long at = pos;
        long len = readVarint();
        if (len < 0 || len > end - pos) {
            throw error(at, "length " + Long.toUnsignedString(len) + " of field " + field
                    + " runs past the end of the enclosing message (" + (end - pos) + " bytes left)");
        }
        long start = pos;
        pos += len;
        return start;
    }

    /** Reader over the current length-delimited field's payload, as an embedded message. */
    public ProtoReader readMessage() throws OnnxException {
        long start = readLengthDelimited();
        return new ProtoReader(segment, start, pos, source);
    }

    /** The current length-delimited field as UTF-8 text of at most {@code maxBytes} bytes. */
    public String readString(int maxBytes) throws OnnxException {
        long start = readLengthDelimited();
        long len = pos - start;
        if (len > maxBytes) {
            throw error(start, "string in field " + field + " is " + len + " bytes; the limit is " + maxBytes);
        }
        byte[] bytes = segment.asSlice(start, len).toArray(ValueLayout.JAVA_BYTE);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException ex) {
            throw error(start, "string in field " + field + " is not valid UTF-8");
        }
    }

    /** Skips the current field's value according to its wire type. */
    public void skip() throws OnnxException {
        switch (wireType) {
            case VARINT -> readVarint();
            case I64 -> readFixed64();
            case I32 -> readFixed32();
            case LEN -> readLengthDelimited();
            default -> throw new IllegalStateException("wire type " + wireType);
        }
    }

    /** Fails unless the current field has wire type {@code expected}; {@code what} names the field. */
    public void expect(int expected, String what) throws OnnxException {
        if (wireType != expected) {
            throw error(tagOffset, what + " (field " + field + ") has wire type " + wireType
                    + "; expected " + expected);
        }
    }

    public OnnxException error(long offset, String message) {
        return new OnnxException(source + ": at offset " + offset + ": " + message);
    }

    private void require(int n, String what) throws OnnxException {
        if (end - pos < n) {
            throw error(pos, "truncated " + what + ": " + n + " bytes needed, " + (end - pos) + " left in the message");
        }
    }
}
