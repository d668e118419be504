// Parses and validates a safetensors JSON header against the size of the data area that follows it.
package dev.strata.loader;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The validated header: tensors in header order and the optional string metadata. */
record SafetensorsHeader(Map<String, TensorInfo> tensors, Map<String, String> metadata) {

    static final String METADATA_KEY = "__metadata__";

    private record Span(String name, long begin, long end) {
    }

    /**
     * @param header     the header bytes (without the 8-byte length prefix)
     * @param dataLength bytes in the file after the header
     * @param source     file name for error messages
     */
    static SafetensorsHeader parse(byte[] header, long dataLength, String source) throws SafetensorsException {
        JsonNode root = readJson(header, source);
        long dataStart = 8L + header.length;
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = Map.of();
        List<Span> spans = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String name = e.getKey();
            if (name.equals(METADATA_KEY)) {
                metadata = metadata(e.getValue(), source);
                continue;
            }
            Span span = entry(name, e.getValue(), dataLength, source, tensors, dataStart);
            spans.add(span);
        }
        checkCoverage(spans, dataLength, source);
        return new SafetensorsHeader(Collections.unmodifiableMap(tensors), metadata);
    }

    private static JsonNode readJson(byte[] header, String source) throws SafetensorsException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(header)).toString();
        } catch (CharacterCodingException ex) {
            throw new SafetensorsException(source + ": header is not valid UTF-8 (" + ex.getMessage() + ")", ex);
        }
        JsonNode root;
        try {
            root = Json.STRICT.readTree(text);
        } catch (JacksonException ex) {
            throw new SafetensorsException(source + ": header is not valid JSON: " + ex.getOriginalMessage(), ex);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException(source + ": header must be a JSON object; got "
                    + (root == null ? "nothing" : root.getNodeType().toString().toLowerCase()));
        }
        return root;
    }

    private static Map<String, String> metadata(JsonNode node, String source) throws SafetensorsException {
        if (node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new SafetensorsException(source + ": " + METADATA_KEY + " must be an object of strings; got "
                    + node.getNodeType().toString().toLowerCase());
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new SafetensorsException(source + ": " + METADATA_KEY + " value for '" + e.getKey()
                        + "' must be a string; got " + e.getValue().getNodeType().toString().toLowerCase());
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return Collections.unmodifiableMap(out);
    }

    private static Span entry(String name, JsonNode node, long dataLength, String source,
                              Map<String, TensorInfo> tensors, long dataStart) throws SafetensorsException {
        String where = source + ": tensor '" + name + "'";
        if (!node.isObject()) {
            throw new SafetensorsException(where + " must be an object with dtype, shape and data_offsets");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new SafetensorsException(where + ": 'dtype' must be a string; got " + kind(dtypeNode));
        }
        SafetensorsDtype dtype;
        try {
            dtype = SafetensorsDtype.parse(dtypeNode.textValue());
        } catch (IllegalArgumentException ex) {
            throw new SafetensorsException(where + ": " + ex.getMessage(), ex);
        }
        long[] shape = longArray(node.get("shape"), "shape", -1, where);
        long[] offsets = longArray(node.get("data_offsets"), "data_offsets", 2, where);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new SafetensorsException(where + ": data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        long needed = byteSize(shape, dtype, where);
        if (end - begin != needed) {
            throw new SafetensorsException(where + " data_offsets [" + begin + ", " + end + "] cover " + (end - begin)
                    + " bytes; shape " + Arrays.toString(shape) + " of " + dtype + " needs " + needed);
        }
        if (end > dataLength) {
            throw new SafetensorsException(where + " data_offsets [" + begin + ", " + end
                    + "] lie outside the data area of " + dataLength + " bytes (file truncated?)");
        }
        tensors.put(name, new TensorInfo(name, dtype, shape, dataStart + begin, needed));
        return new Span(name, begin, end);
    }

    private static long byteSize(long[] shape, SafetensorsDtype dtype, String where) throws SafetensorsException {
        try {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return Math.multiplyExact(n, (long) dtype.byteSize());
        } catch (ArithmeticException ex) {
            throw new SafetensorsException(where + ": byte size of shape " + Arrays.toString(shape) + " of " + dtype
                    + " overflows 64 bits", ex);
        }
    }

    /** Reads an array of non-negative integers; {@code length < 0} accepts any length. */
    private static long[] longArray(JsonNode node, String key, int length, String where) throws SafetensorsException {
        if (node == null || !node.isArray()) {
            throw new SafetensorsException(where + ": '" + key + "' must be an array of integers; got " + kind(node));
        }
        if (length >= 0 && node.size() != length) {
            throw new SafetensorsException(where + ": '" + key + "' must have " + length + " elements; got "
                    + node.size());
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new SafetensorsException(where + ": '" + key + "' element " + i
                        + " must be a non-negative 64-bit integer; got " + v);
            }
            out[i] = v.longValue();
        }
        return out;
    }

    /** Tensors must tile [0, dataLength) exactly: no gaps, no overlaps, nothing left over. */
    private static void checkCoverage(List<Span> spans, long dataLength, String source) throws SafetensorsException {
        spans.sort(Comparator.comparingLong(Span::begin).thenComparingLong(Span::end));
        long expected = 0;
        String previous = null;
        for (Span s : spans) {
            if (s.begin() < expected) {
                throw new SafetensorsException(source + ": tensor '" + s.name() + "' begins at " + s.begin()
                        + ", overlapping tensor '" + previous + "' which ends at " + expected);
            }
            if (s.begin() > expected) {
                throw new SafetensorsException(source + ": gap in the data area: tensor '" + s.name() + "' begins at "
                        + s.begin() + "; expected " + expected
                        + (previous == null ? " (start of data)" : " (end of '" + previous + "')"));
            }
            expected = s.end();
            previous = s.name();
        }
        if (expected != dataLength) {
            throw new SafetensorsException(source + ": tensors cover " + expected + " bytes of the data area; the file has "
                    + dataLength + " bytes after the header");
        }
    }

    private static String kind(JsonNode node) {
        return node == null ? "missing" : node.getNodeType().toString().toLowerCase();
    }
}
