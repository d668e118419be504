// A model directory opened for inference: config, memory-mapped weights and the architecture
// that builds its graphs. Closing it unmaps the weights.
package dev.strata.engine.model;

import dev.strata.engine.graph.WeightCatalog;
import dev.strata.engine.tensor.DType;
import dev.strata.loader.GenerationConfig;
import dev.strata.loader.HfConfig;
import dev.strata.loader.TensorInfo;
import dev.strata.loader.WeightSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

public final class LoadedModel implements AutoCloseable, WeightCatalog {
    private final Path dir;
    private final HfConfig config;
    private final WeightSet weights;
    private final DecoderModel definition;
    private final EncoderDecoderModel encoderDecoder;
    private final Optional<GenerationConfig> generation;

    private LoadedModel(Path dir, HfConfig config, WeightSet weights, DecoderModel definition, EncoderDecoderModel encoderDecoder,
                        Optional<GenerationConfig> generation) {
        this.dir = dir;
        this.config = config;
        this.weights = weights;
        this.definition = definition;
        this.encoderDecoder = encoderDecoder;
        this.generation = generation;
    }

    /** Opens a HF-format model directory (config.json + safetensors); throws naming what is wrong. */
    public static LoadedModel open(Path dir) throws IOException {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) throw new IOException(dir + " has no config.json; expected a Hugging Face model directory");
        HfConfig config = HfConfig.read(cfg);
        DecoderModel def = config.isEncoderDecoder() ? null : architecture(config);
        EncoderDecoderModel encDec = config.isEncoderDecoder() ? EncoderDecoderModel.forConfig(config) : null;
        WeightSet ws = WeightSet.open(dir);
        return new LoadedModel(dir, config, ws, def, encDec, GenerationConfig.read(dir));
    }

    /** The architecture for a config, or an error naming the model type and the supported ones. */
    public static DecoderModel architecture(HfConfig config) {
        return switch (config.modelType()) {
            case "llama", "mistral", "qwen2" -> new Llama(config);
            case "gpt2" -> new Gpt2(config);
            default -> throw new IllegalArgumentException("model_type '" + config.modelType() + "' " + config.architectures()
                    + " is not supported as a decoder; supported: llama, mistral, qwen2, gpt2");
        };
    }

    public Path dir() { return dir; }

    public HfConfig config() { return config; }

    public WeightSet weights() { return weights; }

    public DecoderModel definition() {
        if (definition == null) throw new IllegalArgumentException("model_type '" + config.modelType() + "' is an encoder-decoder, not a decoder-only model");
        return definition;
    }

    public boolean isEncoderDecoder() { return encoderDecoder != null; }

    /** The encoder-decoder architecture (T5, Marian); throws for decoder-only models. */
    public EncoderDecoderModel encoderDecoder() {
        if (encoderDecoder == null) throw new IllegalArgumentException("model_type '" + config.modelType() + "' is not an encoder-decoder");
        return encoderDecoder;
    }

    /** EOS ids: generation_config.json's when present, else config.json's. */
    public List<Integer> eosTokenIds() {
        return generation.filter(g -> !g.eosTokenIds().isEmpty()).map(GenerationConfig::eosTokenIds).orElse(config.eosTokenIds());
    }

    public Integer bosTokenId() {
        return generation.map(GenerationConfig::bosTokenId).orElse(config.bosTokenId());
    }

    @Override public Entry find(String name) {
        if (!weights.contains(name)) return null;
        TensorInfo info = weights.info(name);
        return new Entry(name, DType.fromSafetensors(info.dtype().name()), info.shape());
    }

    public long parameterCount() {
        long n = 0;
        for (String name : weights.names()) n += weights.info(name).elementCount();
        return n;
    }

    @Override public void close() { weights.close(); }
}
