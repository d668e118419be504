// Tests for HfTokenizer: raw ids (no padding/truncation), errors, and strictly offline loading.
package dev.strata.loader.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.util.Utils;
import java.io.IOException;
import java.io.InputStream;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfTokenizerTest {

    @Test
    void longInputIsNeitherTruncatedNorPadded() throws Exception {
        String text = "the quick brown fox ".repeat(2000);
        try (HfTokenizer tok = HfTokenizer.fromJson(ByteLevelBpeGenerator.json(512), "gen")) {
            int[] ids = tok.encode(text, false);
            assertTrue(ids.length > 4000, "only " + ids.length + " ids");
            assertEquals(text, tok.decode(ids, true));
            assertArrayEquals(new int[0], tok.encode("", false));
            assertArrayEquals(new int[] {1}, tok.encode("", true));
        }
    }

    @Test
    void rejectsIdsOutsideTheVocabulary() throws Exception {
        try (HfTokenizer tok = HfTokenizer.fromJson(ByteLevelBpeGenerator.json(300), "gen")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> tok.decode(new int[] {5, 300}, true));
            assertEquals("token id 300 at position 1 is outside the vocabulary [0, 300)", e.getMessage());
        }
    }

    @Test
    void missingOrBrokenFilesNameThePath(@TempDir Path dir) throws Exception {
        IOException missing = assertThrows(IOException.class, () -> HfTokenizer.load(dir));
        assertTrue(missing.getMessage().contains(dir.resolve("tokenizer.json").toString()), missing.getMessage());
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"model\": {\"vocab\": 3}}");
        IOException broken = assertThrows(IOException.class, () -> HfTokenizer.load(bad));
        assertTrue(broken.getMessage().startsWith(bad.toString()), broken.getMessage());
    }

    /** Any HTTP(S) connection DJL opened (telemetry, native download) would ask the ProxySelector. */
    @Test
    void loadsAndRunsWithoutTouchingTheNetwork() throws Exception {
        List<URI> requested = Collections.synchronizedList(new ArrayList<>());
        ProxySelector previous = ProxySelector.getDefault();
        ProxySelector.setDefault(new ProxySelector() {
            @Override
            public List<Proxy> select(URI uri) {
                requested.add(uri);
                throw new IllegalStateException("network access to " + uri);
            }

            @Override
            public void connectFailed(URI uri, SocketAddress sa, IOException e) {}
        });
        try (HfTokenizer tok = HfTokenizer.fromJson(ByteLevelBpeGenerator.json(512), "gen")) {
            assertEquals("offline", tok.decode(tok.encode("offline", true), true));
        } finally {
            ProxySelector.setDefault(previous);
        }
        assertEquals(List.of(), requested);
        assertEquals("true", System.getProperty("ai.djl.offline"));
        assertEquals("true", System.getProperty("OPT_OUT_TRACKING"));
        assertEquals("cpu", System.getProperty("RUST_FLAVOR"));
    }

    /** The loaded libtokenizers.so is the CPU build shipped in the DJL jar, byte for byte. */
    @Test
    void nativeLibraryComesFromTheJar() throws Exception {
        assumeTrue(System.getProperty("os.name").startsWith("Linux")
                && System.getProperty("os.arch").equals("amd64"), "checks linux-x86_64 only");
        try (HfTokenizer tok = HfTokenizer.fromJson(ByteLevelBpeGenerator.json(300), "gen")) {
            assertEquals(300, tok.vocabSize());
        }
        Path loaded = Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .filter(l -> l.endsWith("/libtokenizers.so"))
                .map(l -> Path.of(l.substring(l.indexOf('/'))))
                .findFirst().orElseThrow(() -> new AssertionError("libtokenizers.so not mapped"));
        assertTrue(loaded.startsWith(Utils.getEngineCacheDir("tokenizers")), loaded.toString());
        assertTrue(loaded.getParent().getFileName().toString().contains("cpu"), loaded.toString());
        try (InputStream jar = HuggingFaceTokenizer.class.getClassLoader()
                .getResourceAsStream("native/lib/linux-x86_64/cpu/libtokenizers.so")) {
            assertArrayEquals(jar.readAllBytes(), Files.readAllBytes(loaded));
        }
    }
}
