// Hugging Face tokenizer.json through DJL's Rust binding, strictly offline.
package dev.strata.loader.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A {@link Tokenizer} over a {@code tokenizer.json}. Only that file is read: DJL's Java-side
 * tweaks driven by {@code tokenizer_config.json} (lower-casing, accent stripping, decode
 * clean-up) stay off, so encode/decode are exactly the Rust tokenizer's, without padding or
 * truncation.
 */
public final class HfTokenizer implements Tokenizer {

    private static final Map<String, String> OPTIONS = Map.of(
            "truncation", "false",
            "padding", "false",
            "maxLength", "-1",
            "addSpecialTokens", "true");

    private final HuggingFaceTokenizer djl;
    private final Vocabulary vocabulary;

    private HfTokenizer(HuggingFaceTokenizer djl, Vocabulary vocabulary) {
        this.djl = djl;
        this.vocabulary = vocabulary;
    }

    /** Loads {@code path}, a tokenizer.json or a directory holding one. */
    public static HfTokenizer load(Path path) throws IOException {
        Path file = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
        if (!Files.isRegularFile(file)) {
            throw new IOException("tokenizer file " + file + " does not exist");
        }
        return fromJson(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /** Builds a tokenizer from tokenizer.json text; {@code source} names it in errors. */
    public static HfTokenizer fromJson(String tokenizerJson, String source) throws IOException {
        Vocabulary vocabulary = Vocabulary.parse(tokenizerJson, source);
        DjlOffline.ensure();
        byte[] bytes = tokenizerJson.getBytes(StandardCharsets.UTF_8);
        HuggingFaceTokenizer djl;
        try {
            djl = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes), OPTIONS);
        } catch (RuntimeException e) {
            throw new IOException(source + ": cannot load tokenizer: " + e.getMessage(), e);
        }
        return new HfTokenizer(djl, vocabulary);
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        long[] ids = djl.encode(text, addSpecialTokens, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] wide = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabulary.size()) {
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary [0, " + vocabulary.size() + ")");
            }
            wide[i] = ids[i];
        }
        return djl.decode(wide, skipSpecialTokens);
    }

    @Override
    public int vocabSize() {
        return vocabulary.size();
    }

    @Override
    public OptionalInt tokenId(String token) {
        return vocabulary.id(token);
    }

    @Override
    public void close() {
        djl.close();
    }
}
