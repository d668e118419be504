// The token ids from a model directory's generation_config.json, which override config.json's when present.
package dev.strata.loader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * @param bosTokenId  null when not given
 * @param eosTokenIds empty when not given
 * @param padTokenId  null when not given
 */
public record GenerationConfig(Integer bosTokenId, List<Integer> eosTokenIds, Integer padTokenId) {

    public static final String FILE = "generation_config.json";

    public GenerationConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** Empty when {@code dir} has no generation_config.json. */
    public static Optional<GenerationConfig> read(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        return Optional.of(from(JsonFields.read(file)));
    }

    public static GenerationConfig parse(String json) throws ConfigException {
        return from(JsonFields.parse(json, FILE));
    }

    private static GenerationConfig from(JsonFields f) throws ConfigException {
        return new GenerationConfig(f.integer("bos_token_id").orElse(null), f.integers("eos_token_id"),
                f.integer("pad_token_id").orElse(null));
    }
}
