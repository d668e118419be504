// A model directory opened for inference: config, memory-mapped weights and the architecture
// that builds its graphs (a decoder, an encoder or an encoder-decoder). Weights come from
// safetensors or, for BERT encoders, from an ONNX export (model.onnx: initializers imported under
// HF names, Linear weights read in their stored [in, out] layout). Closing it unmaps the weights.
package dev.strata.engine.model;

import dev.strata.engine.graph.WeightCatalog;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.engine.tensor.DType;
import dev.strata.loader.GenerationConfig;
import dev.strata.loader.HfConfig;
import dev.strata.loader.TensorInfo;
import dev.strata.loader.WeightSet;
import dev.strata.loader.WeightSource;
import dev.strata.loader.onnx.BertOnnxWeights;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

public final class LoadedModel implements AutoCloseable, WeightCatalog {
    /** The file name of an ONNX export inside a model directory. */
    public static final String ONNX_FILE = "model.onnx";

    private final Path dir;
    private final HfConfig config;
    private final WeightSource weights;
    private final ModelDefinition definition;
    private final Optional<GenerationConfig> generation;

    private LoadedModel(Path dir, HfConfig config, WeightSource weights, ModelDefinition definition, Optional<GenerationConfig> generation) {
        this.dir = dir;
        this.config = config;
        this.weights = weights;
        this.definition = definition;
        this.generation = generation;
    }

    /** Opens a HF-format model directory (config.json + safetensors); throws naming what is wrong. */
    public static LoadedModel open(Path dir) throws IOException {
        Path onnx = dir.resolve(ONNX_FILE);
        if (Files.isRegularFile(onnx) && !Files.isRegularFile(dir.resolve(WeightSet.SINGLE_FILE)) && !Files.isRegularFile(dir.resolve(WeightSet.INDEX_FILE))) {
            return openOnnx(dir, onnx);
        }
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) throw new IOException(dir + " has no config.json; expected a Hugging Face model directory (config.json + safetensors) or a BERT ONNX export (" + ONNX_FILE + ")");
        HfConfig config = HfConfig.read(cfg);
        boolean bert = config.modelType().equals("bert");
        ModelDefinition known = bert ? null : config.isEncoderDecoder() ? EncoderDecoderModel.forConfig(config) : architecture(config); // before mapping any weights
        WeightSet ws = WeightSet.open(dir);
        try {
            ModelDefinition def = bert ? new Bert(config, catalog(ws), WeightLayout.OUT_IN) : known;
            return new LoadedModel(dir, config, ws, def, GenerationConfig.read(dir));
        } catch (RuntimeException | IOException e) {
            ws.close();
            throw e;
        }
    }

    /** A BERT-family ONNX export; config.json beside it wins, else the config is derived from the graph. */
    private static LoadedModel openOnnx(Path dir, Path onnx) throws IOException {
        BertOnnxWeights ws = BertOnnxWeights.open(onnx);
        try {
            Path cfg = dir.resolve("config.json");
            HfConfig config;
            if (Files.isRegularFile(cfg)) {
                config = HfConfig.read(cfg);
            } else {
                int heads = ws.attentionHeads().orElseThrow(() -> new IOException(onnx + ": the graph does not reveal num_attention_heads; put a config.json beside it"));
                config = HfConfig.parse(ws.configJson(heads));
            }
            if (!config.modelType().equals("bert")) throw new IOException(onnx + ": ONNX import supports BERT-family encoders; config says model_type '" + config.modelType() + "'");
            return new LoadedModel(dir, config, ws, new Bert(config, catalog(ws), ws.linearWeightsTransposed() ? WeightLayout.IN_OUT : WeightLayout.OUT_IN), Optional.empty());
        } catch (RuntimeException | IOException e) {
            ws.close();
            throw e;
        }
    }

    /** The architecture for a config, or an error naming the model type and the supported ones. */
    public static DecoderModel architecture(HfConfig config) {
        return switch (config.modelType()) {
            case "llama", "mistral", "qwen2" -> new Llama(config);
            case "gpt2" -> new Gpt2(config);
            default -> throw new IllegalArgumentException("model_type '" + config.modelType() + "' " + config.architectures()
                    + " is not supported; supported: llama, mistral, qwen2, gpt2 (decoders), bert (encoder)");
        };
    }

    public Path dir() { return dir; }

    public HfConfig config() { return config; }

    public WeightSource weights() { return weights; }

    /** A checkpoint tensor's (memory-mapped) bytes. */
    public MemorySegment tensorData(String name) { return weights.data(name); }

    /** The decoder architecture; an error naming the model type when this model is not a decoder. */
    public DecoderModel definition() {
        if (definition instanceof DecoderModel d) return d;
        throw new IllegalArgumentException("model_type '" + config.modelType() + "' is " + (isEncoderDecoder() ? "an encoder-decoder" : "an encoder")
                + "; this needs a decoder model (llama, mistral, qwen2, gpt2)");
    }

    /** The encoder architecture; an error naming the model type when this model is not an encoder. */
    public EncoderModel encoder() {
        if (definition instanceof EncoderModel e) return e;
        throw new IllegalArgumentException("model_type '" + config.modelType() + "' is not an encoder; this needs an encoder model (bert)");
    }

    public boolean isEncoder() { return definition instanceof EncoderModel; }

    /** The encoder-decoder architecture (T5, Marian); an error naming the model type for other models. */
    public EncoderDecoderModel encoderDecoder() {
        if (definition instanceof EncoderDecoderModel m) return m;
        throw new IllegalArgumentException("model_type '" + config.modelType() + "' is not an encoder-decoder; this needs t5 or marian");
    }

    public boolean isEncoderDecoder() { return definition instanceof EncoderDecoderModel; }

    /** EOS ids: generation_config.json's when present, else config.json's. */
    public List<Integer> eosTokenIds() {
        return generation.filter(g -> !g.eosTokenIds().isEmpty()).map(GenerationConfig::eosTokenIds).orElse(config.eosTokenIds());
    }

    public Integer bosTokenId() {
        return generation.map(GenerationConfig::bosTokenId).orElse(config.bosTokenId());
    }

    @Override public Entry find(String name) { return catalog(weights).find(name); }

    private static WeightCatalog catalog(WeightSource weights) {
        return name -> {
            if (!weights.contains(name)) return null;
            TensorInfo info = weights.info(name);
            return new Entry(name, DType.fromSafetensors(info.dtype().name()), info.shape());
        };
    }

    public long parameterCount() {
        long n = 0;
        for (String name : weights.names()) n += weights.info(name).elementCount();
        return n;
    }

    @Override public void close() { weights.close(); }
}
