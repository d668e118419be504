// Typed reads of JSON object fields whose errors name the key, the source file, and what was found.
package dev.strata.loader;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A JSON object plus the name of the file it came from. Absent and {@code null} fields read as empty. */
record JsonFields(JsonNode node, String source) {

    static final long MAX_CONFIG_BYTES = 16L << 20;

    static JsonFields read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_CONFIG_BYTES) {
            throw new ConfigException(file + ": " + size + " bytes; the limit is " + MAX_CONFIG_BYTES);
        }
        return parse(Files.readString(file), file.toString());
    }

    static JsonFields parse(String json, String source) throws ConfigException {
        JsonNode root;
        try {
            root = Json.STRICT.readTree(json);
        } catch (JacksonException ex) {
            throw new ConfigException(source + ": not valid JSON: " + ex.getOriginalMessage(), ex);
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException(source + ": expected a JSON object at top level");
        }
        return new JsonFields(root, source);
    }

    boolean has(String key) {
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
    }

    Optional<JsonFields> object(String key) throws ConfigException {
        if (!has(key)) {
            return Optional.empty();
        }
        JsonNode v = node.get(key);
        if (!v.isObject()) {
            throw error(key, "an object", v);
        }
        return Optional.of(new JsonFields(v, source + " [" + key + "]"));
    }

    Optional<Integer> integer(String key) throws ConfigException {
        if (!has(key)) {
            return Optional.empty();
        }
        JsonNode v = node.get(key);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw error(key, "a 32-bit integer", v);
        }
        return Optional.of(v.intValue());
    }

    Optional<Double> number(String key) throws ConfigException {
        if (!has(key)) {
            return Optional.empty();
        }
        JsonNode v = node.get(key);
        if (!v.isNumber()) {
            throw error(key, "a number", v);
        }
        return Optional.of(v.doubleValue());
    }

    Optional<Boolean> bool(String key) throws ConfigException {
        if (!has(key)) {
            return Optional.empty();
        }
        JsonNode v = node.get(key);
        if (!v.isBoolean()) {
            throw error(key, "true or false", v);
        }
        return Optional.of(v.booleanValue());
    }

    Optional<String> string(String key) throws ConfigException {
        if (!has(key)) {
            return Optional.empty();
        }
        JsonNode v = node.get(key);
        if (!v.isTextual()) {
            throw error(key, "a string", v);
        }
        return Optional.of(v.textValue());
    }

    List<String> strings(String key) throws ConfigException {
        List<String> out = new ArrayList<>();
        if (!has(key)) {
            return out;
        }
        JsonNode v = node.get(key);
        if (!v.isArray()) {
            throw error(key, "an array of strings", v);
        }
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                throw error(key, "an array of strings", v);
            }
            out.add(e.textValue());
        }
        return out;
    }

    /** A token id field that may be absent, null, one integer or a list of integers. */
    List<Integer> integers(String key) throws ConfigException {
        List<Integer> out = new ArrayList<>();
        if (!has(key)) {
            return out;
        }
        JsonNode v = node.get(key);
        if (v.isIntegralNumber() && v.canConvertToInt()) {
            out.add(v.intValue());
            return out;
        }
        if (!v.isArray()) {
            throw error(key, "an integer or an array of integers", v);
        }
        for (JsonNode e : v) {
            if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                throw error(key, "an integer or an array of integers", v);
            }
            out.add(e.intValue());
        }
        return out;
    }

    /** The first of {@code keys} that is present; error naming all of them if none is. */
    int requiredInt(String... keys) throws ConfigException {
        for (String k : keys) {
            Optional<Integer> v = integer(k);
            if (v.isPresent()) {
                return v.get();
            }
        }
        throw new ConfigException(source + ": missing required key " + String.join(" or ", keys));
    }

    ConfigException error(String key, String expected, JsonNode actual) {
        return new ConfigException(source + ": key '" + key + "' must be " + expected + "; got " + actual);
    }
}
