// Malformed safetensors files must be rejected with a message that says what was expected and found.
package dev.strata.loader;

import static dev.strata.loader.RawSafetensors.tensor;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsMalformedTest {

    @TempDir
    Path dir;

    private String rejected(Path file) {
        SafetensorsException ex = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file).close());
        assertTrue(ex.getMessage().contains(file.toString()), () -> "message should name the file: " + ex.getMessage());
        return ex.getMessage();
    }

    private String rejected(String header, int dataBytes) throws IOException {
        return rejected(RawSafetensors.write(dir.resolve("m.safetensors"), header, dataBytes));
    }

    private static void assertContains(String message, String expected) {
        assertTrue(message.contains(expected), () -> "expected '" + expected + "' in: " + message);
    }

    @Test
    void shorterThanEightBytes() throws IOException {
        Path f = Files.write(dir.resolve("short.safetensors"), new byte[] {1, 2, 3, 4, 5});
        assertContains(rejected(f), "file is 5 bytes; a safetensors file needs at least 8");
    }

    @Test
    void emptyFile() throws IOException {
        assertContains(rejected(Files.write(dir.resolve("e.safetensors"), new byte[0])), "file is 0 bytes");
    }

    @Test
    void truncatedDataArea() throws IOException {
        String msg = rejected("{" + tensor("w", "F32", "[32]", 0, 128) + "}", 64);
        assertContains(msg, "tensor 'w' data_offsets [0, 128] lie outside the data area of 64 bytes");
    }

    @Test
    void headerLengthPastEndOfFile() throws IOException {
        byte[] header = "{}".getBytes(StandardCharsets.US_ASCII);
        Path f = RawSafetensors.write(dir.resolve("p.safetensors"), 1000, header, 0);
        assertContains(rejected(f), "header length 1000 runs past the end of the file (2 bytes");
    }

    @Test
    void hugeHeaderLength() throws IOException {
        byte[] header = "{}".getBytes(StandardCharsets.US_ASCII);
        Path f = RawSafetensors.write(dir.resolve("h.safetensors"), 1L << 62, header, 0);
        assertContains(rejected(f), "header length 4611686018427387904 exceeds the limit of 104857600 bytes");
        Path g = RawSafetensors.write(dir.resolve("n.safetensors"), -1L, header, 0);
        assertContains(rejected(g), "header length 18446744073709551615 exceeds the limit");
    }

    @Test
    void offsetsOutsideTheFile() throws IOException {
        String msg = rejected("{" + tensor("w", "F32", "[32]", 1000, 1128) + "}", 128);
        assertContains(msg, "data_offsets [1000, 1128] lie outside the data area of 128 bytes");
    }

    @Test
    void overlappingTensors() throws IOException {
        String msg = rejected("{" + tensor("a", "F32", "[16]", 0, 64) + "," + tensor("b", "F32", "[16]", 32, 96) + "}", 96);
        assertContains(msg, "tensor 'b' begins at 32, overlapping tensor 'a' which ends at 64");
    }

    @Test
    void gapBetweenTensors() throws IOException {
        String msg = rejected("{" + tensor("a", "F32", "[16]", 0, 64) + "," + tensor("b", "F32", "[16]", 96, 160) + "}", 160);
        assertContains(msg, "gap in the data area: tensor 'b' begins at 96; expected 64 (end of 'a')");
    }

    @Test
    void gapAtStart() throws IOException {
        assertContains(rejected("{" + tensor("a", "U8", "[4]", 4, 8) + "}", 8), "begins at 4; expected 0 (start of data)");
    }

    @Test
    void trailingBytesAfterLastTensor() throws IOException {
        assertContains(rejected("{" + tensor("a", "U8", "[4]", 0, 4) + "}", 12),
                "tensors cover 4 bytes of the data area; the file has 12 bytes after the header");
    }

    @Test
    void shapeDtypeSizeDisagreement() throws IOException {
        String msg = rejected("{" + tensor("model.x.weight", "F32", "[4,8]", 0, 96) + "}", 96);
        assertContains(msg, "tensor 'model.x.weight' data_offsets [0, 96] cover 96 bytes; shape [4, 8] of F32 needs 128");
    }

    @Test
    void endBeforeBegin() throws IOException {
        assertContains(rejected("{" + tensor("a", "U8", "[0]", 8, 4) + "}", 8), "data_offsets [8, 4] end before they begin");
    }

    @Test
    void duplicateKeys() throws IOException {
        String t = tensor("a", "U8", "[4]", 0, 4);
        assertContains(rejected("{" + t + "," + t + "}", 4), "Duplicate field 'a'");
    }

    @Test
    void duplicateKeysInsideEntry() throws IOException {
        assertContains(rejected("{\"a\":{\"dtype\":\"U8\",\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4),
                "Duplicate field 'dtype'");
    }

    @Test
    void invalidUtf8() throws IOException {
        byte[] header = "{\"\u00e9\":1}".getBytes(StandardCharsets.ISO_8859_1);
        Path f = RawSafetensors.write(dir.resolve("u.safetensors"), header.length, header, 0);
        assertContains(rejected(f), "header is not valid UTF-8");
    }

    @Test
    void nonObjectJson() throws IOException {
        assertContains(rejected("[1, 2, 3]", 0), "header must be a JSON object; got array");
        assertContains(rejected("\"text\"", 0), "header must be a JSON object; got string");
    }

    @Test
    void malformedJson() throws IOException {
        assertContains(rejected("{\"a\": ", 0), "header is not valid JSON");
        assertContains(rejected("{} {}", 0), "header is not valid JSON");
    }

    @Test
    void negativeShape() throws IOException {
        assertContains(rejected("{" + tensor("a", "F32", "[-1,4]", 0, 16) + "}", 16),
                "'shape' element 0 must be a non-negative 64-bit integer; got -1");
    }

    @Test
    void fractionalAndHugeShapeDims() throws IOException {
        assertContains(rejected("{" + tensor("a", "U8", "[4.0]", 0, 4) + "}", 4), "'shape' element 0");
        assertContains(rejected("{" + tensor("a", "U8", "[99999999999999999999]", 0, 4) + "}", 4), "'shape' element 0");
    }

    @Test
    void unknownDtype() throws IOException {
        assertContains(rejected("{" + tensor("a", "F7", "[4]", 0, 4) + "}", 4),
                "tensor 'a': unknown safetensors dtype 'F7'; expected one of F64, F32");
    }

    @Test
    void overflowingShapeProduct() throws IOException {
        assertContains(rejected("{" + tensor("a", "F32", "[4294967296,4294967296,4]", 0, 4) + "}", 4),
                "byte size of shape [4294967296, 4294967296, 4] of F32 overflows 64 bits");
        assertContains(rejected("{" + tensor("a", "F64", "[2305843009213693952]", 0, 4) + "}", 4), "overflows 64 bits");
    }

    @Test
    void wrongFieldTypes() throws IOException {
        assertContains(rejected("{\"a\":{\"shape\":[4],\"data_offsets\":[0,4]}}", 4), "'dtype' must be a string; got missing");
        assertContains(rejected("{\"a\":{\"dtype\":\"U8\",\"shape\":4,\"data_offsets\":[0,4]}}", 4),
                "'shape' must be an array of integers; got number");
        assertContains(rejected("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0]}}", 4),
                "'data_offsets' must have 2 elements; got 1");
        assertContains(rejected("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[\"0\",\"4\"]}}", 4),
                "'data_offsets' element 0");
        assertContains(rejected("{\"a\":7}", 0), "tensor 'a' must be an object");
    }

    @Test
    void metadataMustBeStrings() throws IOException {
        assertContains(rejected("{\"__metadata__\":{\"format\":1}}", 0),
                "__metadata__ value for 'format' must be a string; got number");
        assertContains(rejected("{\"__metadata__\":[]}", 0), "__metadata__ must be an object of strings; got array");
    }
}
