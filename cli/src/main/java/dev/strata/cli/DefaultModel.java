// The embedded default model: a small random-weight Llama the project generates itself (no
// download), written once to $STRATA_HOME/models (default ~/.cache/strata/models; see BundledModels.cacheRoot).
package dev.strata.cli;

import dev.strata.engine.model.RandomLlama;
import java.io.IOException;
import dev.strata.loader.onnx.BundledModels;
import java.nio.file.Path;

final class DefaultModel {
    private DefaultModel() {}

    static Path cacheDir() {
        return BundledModels.cacheRoot();
    }

    static Path tiny() throws IOException {
        return RandomLlama.ensure(cacheDir().resolve("models").resolve(RandomLlama.TINY.name()), RandomLlama.TINY, 42);
    }
}
