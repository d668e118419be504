// The embedded default model: a small random-weight Llama the project generates itself (no
// download), written once to $STRATA_HOME/models (default ~/.cache/strata/models).
package dev.strata.cli;

import dev.strata.engine.model.RandomLlama;
import java.io.IOException;
import java.nio.file.Path;

final class DefaultModel {
    private DefaultModel() {}

    static Path cacheDir() {
        String home = System.getenv("STRATA_HOME");
        return home != null ? Path.of(home) : Path.of(System.getProperty("user.home"), ".cache", "strata");
    }

    static Path tiny() throws IOException {
        return RandomLlama.ensure(cacheDir().resolve("models").resolve(RandomLlama.TINY.name()), RandomLlama.TINY, 42);
    }
}
