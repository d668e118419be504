// Token string -> id table read from a HF tokenizer.json (model vocab plus added tokens).
package dev.strata.loader.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;

/** The vocabulary of a tokenizer.json; DJL exposes none, so it is read here. */
record Vocabulary(Map<String, Integer> ids, int size) {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    OptionalInt id(String token) {
        Integer id = ids.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /**
     * Parses {@code model.vocab} (an object {@code token -> id} for BPE/WordPiece/WordLevel, or a
     * list of {@code [piece, score]} for Unigram) and {@code added_tokens}.
     */
    static Vocabulary parse(String tokenizerJson, String source) throws IOException {
        JsonNode root = MAPPER.readTree(tokenizerJson);
        JsonNode vocab = root.path("model").path("vocab");
        Map<String, Integer> ids = new HashMap<>();
        if (vocab.isObject()) {
            for (Map.Entry<String, JsonNode> e : vocab.properties()) {
                ids.put(e.getKey(), checkedId(e.getValue(), e.getKey(), source));
            }
        } else if (vocab.isArray()) {
            for (int i = 0; i < vocab.size(); i++) {
                ids.put(vocab.get(i).path(0).asText(), i);
            }
        } else {
            throw new IOException(source + ": model.vocab is " + vocab.getNodeType()
                    + "; expected an object or an array");
        }
        for (JsonNode added : root.path("added_tokens")) {
            String content = added.path("content").asText();
            ids.put(content, checkedId(added.path("id"), content, source));
        }
        int max = -1;
        for (int id : ids.values()) {
            max = Math.max(max, id);
        }
        return new Vocabulary(Map.copyOf(ids), max + 1);
    }

    private static int checkedId(JsonNode node, String token, String source) throws IOException {
        if (!node.canConvertToInt() || node.asInt() < 0) {
            throw new IOException(source + ": token '" + token + "' has id " + node
                    + "; expected a non-negative int");
        }
        return node.asInt();
    }
}
