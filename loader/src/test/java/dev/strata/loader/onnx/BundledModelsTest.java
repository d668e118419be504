// BundledModels extracts the classpath MiniLM files once into the cache named by strata.cache.
package dev.strata.loader.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundledModelsTest {

    @TempDir
    Path cache;

    @AfterEach
    void clearProperty() {
        System.clearProperty("strata.cache");
    }

    private static Object identity(Path p) throws IOException {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
        return List.of(String.valueOf(a.fileKey()), a.lastModifiedTime(), a.size());
    }

    @Test
    void extractsOnceIntoTheConfiguredCache() throws IOException {
        System.setProperty("strata.cache", cache.toString());
        assertEquals(cache, BundledModels.cacheRoot());
        Path dir = BundledModels.allMiniLmL6V2();
        assertTrue(dir.startsWith(cache.resolve("all-minilm-l6-v2")), dir::toString);
        Path model = dir.resolve(BundledModels.MODEL_FILE);
        Path tokenizer = dir.resolve(BundledModels.TOKENIZER_FILE);
        Path config = dir.resolve(BundledModels.CONFIG_FILE);
        assertEquals(90_387_606L, Files.size(model));
        assertEquals(711_661L, Files.size(tokenizer));
        assertTrue(Files.readString(config).contains("\"model_type\" : \"bert\""));
        List<Object> before = List.of(identity(model), identity(tokenizer), identity(config));

        assertEquals(dir, BundledModels.allMiniLmL6V2());
        assertEquals(before, List.of(identity(model), identity(tokenizer), identity(config)),
                "a second call must not rewrite the files");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("config.json", "model.onnx", "tokenizer.json"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary files left");
        }
    }

    @Test
    void rewritesATruncatedFile() throws IOException {
        Path dir = BundledModels.allMiniLmL6V2(cache);
        Path tokenizer = dir.resolve(BundledModels.TOKENIZER_FILE);
        Files.write(tokenizer, new byte[10]);
        BundledModels.allMiniLmL6V2(cache);
        assertEquals(711_661L, Files.size(tokenizer));
    }
}
