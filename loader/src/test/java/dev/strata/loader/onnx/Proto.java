// Test helper: writes protobuf wire format by hand, so tests can build well-formed and malformed ONNX bytes.
package dev.strata.loader.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

final class Proto {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    static Proto msg() {
        return new Proto();
    }

    static byte[] varintBytes(long v) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while ((v & ~0x7FL) != 0) {
            b.write((int) (v & 0x7F) | 0x80);
            v >>>= 7;
        }
        b.write((int) v);
        return b.toByteArray();
    }

    Proto tag(int field, int wireType) {
        return raw(varintBytes(((long) field << 3) | wireType));
    }

    Proto varint(int field, long v) {
        return tag(field, 0).raw(varintBytes(v));
    }

    Proto fixed32(int field, int v) {
        return tag(field, 5).raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }

    Proto bytes(int field, byte[] b) {
        return tag(field, 2).raw(varintBytes(b.length)).raw(b);
    }

    Proto string(int field, String s) {
        return bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }

    Proto msg(int field, Proto m) {
        return bytes(field, m.bytes());
    }

    /** A packed repeated varint field. */
    Proto packed(int field, long... values) {
        Proto p = msg();
        for (long v : values) {
            p.raw(varintBytes(v));
        }
        return msg(field, p);
    }

    Proto raw(byte... b) {
        out.writeBytes(b);
        return this;
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }
}
