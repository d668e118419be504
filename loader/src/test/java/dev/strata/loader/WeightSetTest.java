// Sharded and single-file model directories, including hostile shard names in the index.
package dev.strata.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeightSetTest {

    @TempDir
    Path dir;

    private static WritableTensor u8(int n, int fill) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) fill);
        return new WritableTensor(SafetensorsDtype.U8, new long[] {n}, MemorySegment.ofArray(b));
    }

    private void shard(String file, Map<String, WritableTensor> tensors) throws IOException {
        SafetensorsWriter.write(dir.resolve(file), tensors, Map.of());
    }

    private void twoShards() throws IOException {
        Map<String, WritableTensor> one = new LinkedHashMap<>();
        one.put("a", u8(3, 1));
        one.put("b", u8(5, 2));
        shard("model-00001-of-00002.safetensors", one);
        shard("model-00002-of-00002.safetensors", Map.of("c", u8(7, 3)));
    }

    private void index(String weightMap) throws IOException {
        Files.writeString(dir.resolve(WeightSet.INDEX_FILE),
                "{\"metadata\":{\"total_size\":15},\"weight_map\":{" + weightMap + "}}");
    }

    @Test
    void opensShardsThroughIndex() throws IOException {
        twoShards();
        index("\"a\":\"model-00001-of-00002.safetensors\",\"c\":\"model-00002-of-00002.safetensors\","
                + "\"b\":\"model-00001-of-00002.safetensors\"");
        try (WeightSet w = WeightSet.open(dir)) {
            assertEquals(List.of("a", "c", "b"), List.copyOf(w.names()));
            assertEquals(2, w.files().size(), "each shard opened once");
            assertTrue(w.contains("c"));
            assertFalse(w.contains("d"));
            assertEquals(15, w.totalBytes());
            assertArrayEquals(new byte[] {3, 3, 3, 3, 3, 3, 3}, w.data("c").toArray(ValueLayout.JAVA_BYTE));
            assertEquals(SafetensorsDtype.U8, w.info("b").dtype());
            assertThrows(java.util.NoSuchElementException.class, () -> w.info("d"));
        }
    }

    @Test
    void rejectsPathTraversalInShardNames() throws IOException {
        twoShards();
        Files.createDirectories(dir.resolve("sub"));
        for (String bad : List.of("../model-00001-of-00002.safetensors", "sub/x.safetensors",
                "/etc/passwd", "..", "", "a\\\\b.safetensors")) {
            index("\"a\":\"" + bad + "\"");
            SafetensorsException ex = assertThrows(SafetensorsException.class, () -> WeightSet.open(dir).close());
            assertTrue(ex.getMessage().contains("must be a plain file name in the model directory"), ex.getMessage());
        }
    }

    @Test
    void rejectsNameMissingFromItsShard() throws IOException {
        twoShards();
        index("\"a\":\"model-00001-of-00002.safetensors\",\"c\":\"model-00001-of-00002.safetensors\"");
        SafetensorsException ex = assertThrows(SafetensorsException.class, () -> WeightSet.open(dir).close());
        assertTrue(ex.getMessage().endsWith("weight_map puts tensor 'c' in model-00001-of-00002.safetensors, "
                + "which does not contain it"), ex.getMessage());
    }

    @Test
    void rejectsMissingShardAndBadIndex() throws IOException {
        index("\"a\":\"gone.safetensors\"");
        assertThrows(java.nio.file.NoSuchFileException.class, () -> WeightSet.open(dir).close());
        Files.writeString(dir.resolve(WeightSet.INDEX_FILE), "{\"weight_map\":[]}");
        SafetensorsException ex = assertThrows(SafetensorsException.class, () -> WeightSet.open(dir).close());
        assertTrue(ex.getMessage().contains("expected an object 'weight_map'"), ex.getMessage());
    }

    @Test
    void singleFileFallbacks() throws IOException {
        SafetensorsException none = assertThrows(SafetensorsException.class, () -> WeightSet.open(dir).close());
        assertTrue(none.getMessage().contains("found 0"), none.getMessage());
        shard("weights.safetensors", Map.of("x", u8(2, 9)));
        try (WeightSet w = WeightSet.open(dir)) {
            assertEquals(Set.of("x"), w.names());
        }
        shard("other.safetensors", Map.of("y", u8(2, 9)));
        SafetensorsException two = assertThrows(SafetensorsException.class, () -> WeightSet.open(dir).close());
        assertTrue(two.getMessage().contains("found 2 [other.safetensors, weights.safetensors]"), two.getMessage());
        shard("model.safetensors", Map.of("z", u8(2, 9)));
        try (WeightSet w = WeightSet.open(dir)) {
            assertEquals(Set.of("z"), w.names());
        }
    }

    @Test
    void opensEveryFixtureModel() throws IOException {
        Path fixtures = HfConfigTest.fixtures();
        assumeTrue(Files.isDirectory(fixtures), "fixtures not found at " + fixtures);
        for (String name : List.of("llama-gqa", "llama-gqa-bf16", "llama-mqa", "llama-256", "qwen2", "gpt2", "bert",
                "bert-classifier", "t5", "marian")) {
            try (WeightSet w = WeightSet.open(fixtures.resolve(name))) {
                assertFalse(w.names().isEmpty(), name);
            }
        }
        try (WeightSet w = WeightSet.open(fixtures.resolve("llama-gqa-bf16"))) {
            TensorInfo embed = w.info("model.embed_tokens.weight");
            assertEquals(SafetensorsDtype.BF16, embed.dtype());
            assertArrayEquals(new long[] {512, 64}, embed.shape());
            assertEquals(512 * 64 * 2, w.data("model.embed_tokens.weight").byteSize());
        }
    }
}
