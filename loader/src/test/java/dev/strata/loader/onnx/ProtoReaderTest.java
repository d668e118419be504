// The protobuf wire reader on hand-built bytes: varints, fixed widths, nested lengths and every rejection path.
package dev.strata.loader.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class ProtoReaderTest {

    private static ProtoReader reader(byte... bytes) {
        return new ProtoReader(MemorySegment.ofArray(bytes), 0, bytes.length, "test");
    }

    private static byte[] b(int... v) {
        byte[] out = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (byte) v[i];
        }
        return out;
    }

    private static void assertRejected(String expected, byte[] bytes) {
        OnnxException ex = assertThrows(OnnxException.class, () -> {
            ProtoReader r = reader(bytes);
            while (r.next()) {
                r.skip();
            }
        });
        assertTrue(ex.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + ex.getMessage());
        assertTrue(ex.getMessage().startsWith("test: at offset "), ex::getMessage);
    }

    @Test
    void varints() throws OnnxException {
        assertEquals(0, reader(b(0)).readVarint());
        assertEquals(1, reader(b(1)).readVarint());
        assertEquals(127, reader(b(0x7F)).readVarint());
        assertEquals(300, reader(b(0xAC, 0x02)).readVarint());
        assertEquals(-1L, reader(b(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01)).readVarint());
        assertEquals(Long.MIN_VALUE, reader(b(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)).readVarint());
        for (long v : new long[] {0, 1, 150, 1L << 35, Long.MAX_VALUE, -5}) {
            assertEquals(v, reader(Proto.varintBytes(v)).readVarint());
        }
    }

    @Test
    void varintOverflowingSixtyFourBits() {
        OnnxException ex = assertThrows(OnnxException.class,
                () -> reader(b(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02)).readVarint());
        assertEquals("test: at offset 0: varint overflows 64 bits", ex.getMessage());
    }

    @Test
    void varintLongerThanTenBytes() {
        OnnxException ex = assertThrows(OnnxException.class,
                () -> reader(b(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00)).readVarint());
        assertEquals("test: at offset 0: varint longer than 10 bytes", ex.getMessage());
    }

    @Test
    void truncatedVarint() {
        assertRejected("truncated varint: the message ends at offset 3", b(0x08, 0x80, 0x80));
    }

    @Test
    void fixedWidths() throws OnnxException {
        ProtoReader r = reader(Proto.msg().fixed32(1, 0x12345678).tag(2, 1)
                .raw(b(1, 2, 3, 4, 5, 6, 7, 8)).bytes());
        assertTrue(r.next());
        assertEquals(ProtoReader.I32, r.wireType());
        assertEquals(0x12345678, r.readFixed32());
        assertTrue(r.next());
        assertEquals(2, r.field());
        assertEquals(0x0807060504030201L, r.readFixed64());
        assertFalse(r.next());
    }

    @Test
    void truncatedFixed64() {
        assertRejected("test: at offset 1: truncated fixed64: 8 bytes needed, 3 left in the message", b(0x09, 1, 2, 3));
    }

    @Test
    void lengthDelimitedAndNested() throws OnnxException {
        byte[] bytes = Proto.msg().msg(3, Proto.msg().string(1, "héllo").varint(2, 7)).varint(4, 9).bytes();
        ProtoReader r = reader(bytes);
        assertTrue(r.next());
        ProtoReader inner = r.readMessage();
        assertTrue(inner.next());
        assertEquals("héllo", inner.readString(100));
        assertTrue(inner.next());
        assertEquals(7, inner.readVarint());
        assertFalse(inner.next());
        assertTrue(r.next());
        assertEquals(4, r.field());
        assertEquals(9, r.readVarint());
        assertFalse(r.next());
    }

    @Test
    void truncatedLength() {
        assertRejected("test: at offset 1: length 5 of field 1 runs past the end of the enclosing message (2 bytes left)",
                b(0x0A, 0x05, 'a', 'b'));
    }

    @Test
    void lengthBoundedByEnclosingMessageNotBuffer() throws OnnxException {
        byte[] bytes = Proto.msg().msg(1, Proto.msg().raw(b(0x0A, 0x04, 'a'))).varint(2, 1).varint(3, 1).bytes();
        ProtoReader r = reader(bytes);
        assertTrue(r.next());
        ProtoReader inner = r.readMessage();
        assertTrue(inner.next());
        OnnxException ex = assertThrows(OnnxException.class, inner::readMessage);
        assertTrue(ex.getMessage().contains("length 4 of field 1 runs past the end of the enclosing message (1 bytes left)"),
                ex::getMessage);
    }

    @Test
    void invalidWireTypes() {
        assertRejected("test: at offset 0: field 1 has invalid wire type 7; expected 0, 1, 2 or 5", b(0x0F, 0));
        assertRejected("field 1 has invalid wire type 6", b(0x0E, 0));
        assertRejected("field 2 uses wire type 3 (group), which is not supported", b(0x13, 0x14));
        assertRejected("field 2 uses wire type 4 (group)", b(0x14));
        assertRejected("field number 0 is outside 1..536870911", b(0x00, 0x01));
    }

    @Test
    void skipsUnknownFieldsOfEveryWireType() throws OnnxException {
        byte[] bytes = Proto.msg().varint(100, 1L << 50).fixed32(101, 5).tag(102, 1).raw(new byte[8])
                .string(103, "x").varint(1, 42).bytes();
        ProtoReader r = reader(bytes);
        long found = -1;
        while (r.next()) {
            if (r.field() == 1) {
                found = r.readVarint();
            } else {
                r.skip();
            }
        }
        assertEquals(42, found);
    }

    @Test
    void wrongWireTypeForAKnownField() throws OnnxException {
        ProtoReader r = reader(Proto.msg().fixed32(2, 1).bytes());
        assertTrue(r.next());
        OnnxException ex = assertThrows(OnnxException.class, () -> r.expect(ProtoReader.VARINT, "data_type"));
        assertEquals("test: at offset 0: data_type (field 2) has wire type 5; expected 0", ex.getMessage());
    }

    @Test
    void stringLimitAndUtf8() {
        OnnxException limit = assertThrows(OnnxException.class, () -> {
            ProtoReader r = reader(Proto.msg().string(1, "abcdef").bytes());
            r.next();
            r.readString(5);
        });
        assertTrue(limit.getMessage().contains("string in field 1 is 6 bytes; the limit is 5"), limit::getMessage);
        OnnxException utf8 = assertThrows(OnnxException.class, () -> {
            ProtoReader r = reader(Proto.msg().bytes(1, b(0xC3, 0x28)).bytes());
            r.next();
            r.readString(5);
        });
        assertTrue(utf8.getMessage().contains("not valid UTF-8"), utf8::getMessage);
    }
}
