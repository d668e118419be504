// The real all-MiniLM-L6-v2 ONNX export (langchain4j test artifact) imported under Hugging Face BertModel names.
package dev.strata.loader.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strata.loader.HfConfig;
import dev.strata.loader.SafetensorsDtype;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MiniLmOnnxTest {

    private static final List<String> LINEAR = List.of("attention.self.query", "attention.self.key",
            "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense");

    @TempDir
    static Path cache;

    private static Path modelDir;
    private static BertOnnxWeights weights;

    @BeforeAll
    static void open() throws IOException {
        modelDir = BundledModels.allMiniLmL6V2(cache);
        weights = BertOnnxWeights.open(modelDir.resolve(BundledModels.MODEL_FILE));
    }

    @AfterAll
    static void close() {
        weights.close();
    }

    private static void assertShape(String name, long... expected) {
        assertArrayEquals(expected, weights.info(name).shape(), name);
        assertEquals(SafetensorsDtype.F32, weights.info(name).dtype(), name);
    }

    @Test
    void graphSignature() {
        OnnxGraph g = weights.file().graph();
        assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), g.inputs());
        assertEquals(List.of("last_hidden_state"), g.outputs());
        assertEquals(637, g.nodes().size());
        assertEquals(48, g.nodes().stream().filter(n -> n.opType().equals("MatMul")).count());
    }

    @Test
    void thirtySixLinearWeightsMappedAndStoredInOut() {
        Set<String> mapped = weights.names().stream().filter(weights::transposed).collect(Collectors.toSet());
        assertEquals(36, mapped.size());
        for (int l = 0; l < 6; l++) {
            for (String m : LINEAR) {
                String w = "encoder.layer." + l + "." + m + ".weight";
                assertTrue(mapped.contains(w), w);
                assertTrue(weights.onnxNames().get(w).startsWith("onnx::MatMul_"), w);
                assertTrue(weights.contains("encoder.layer." + l + "." + m + ".bias"));
            }
            for (String ln : List.of("attention.output.LayerNorm", "output.LayerNorm")) {
                assertShape("encoder.layer." + l + "." + ln + ".weight", 384);
                assertShape("encoder.layer." + l + "." + ln + ".bias", 384);
            }
        }
        assertEquals("onnx::MatMul_787", weights.onnxNames().get("encoder.layer.0.attention.self.query.weight"));
        assertShape("encoder.layer.0.attention.self.query.weight", 384, 384);
        assertShape("encoder.layer.0.intermediate.dense.weight", 384, 1536);
        assertShape("encoder.layer.5.output.dense.weight", 1536, 384);
        assertShape("encoder.layer.0.intermediate.dense.bias", 1536);
    }

    @Test
    void embeddingsAndNoPooler() {
        assertShape("embeddings.word_embeddings.weight", 30522, 384);
        assertShape("embeddings.position_embeddings.weight", 512, 384);
        assertShape("embeddings.token_type_embeddings.weight", 2, 384);
        assertShape("embeddings.LayerNorm.weight", 384);
        assertShape("embeddings.LayerNorm.bias", 384);
        assertFalse(weights.contains("pooler.dense.weight"));
        assertFalse(weights.contains("embeddings.position_ids"));
        assertEquals(5 + 6 * 16, weights.names().size());
        assertTrue(weights.names().stream().allMatch(n -> n.startsWith("embeddings.") || n.startsWith("encoder.")));
        assertEquals(weights.info("embeddings.word_embeddings.weight").dataOffset(),
                weights.file().initializer("embeddings.word_embeddings.weight").fileOffset());
    }

    @Test
    void derivedConfig() throws IOException {
        HfConfig c = HfConfig.read(modelDir.resolve(BundledModels.CONFIG_FILE));
        assertEquals("bert", c.modelType());
        assertEquals(6, c.numLayers());
        assertEquals(12, c.numHeads());
        assertEquals(32, c.headDim());
        assertEquals(384, c.hiddenSize());
        assertEquals(1536, c.intermediateSize());
        assertEquals(30522, c.vocabSize());
        assertEquals(512, c.maxPositions());
        assertEquals(1e-12, c.normEps());
        assertEquals(12, weights.attentionHeads().orElseThrow(), "heads must come from the graph");
        assertEquals(c.raw(), new ObjectMapper().readTree(weights.configJson(1)));
        int tokenizerVocab = new ObjectMapper().readTree(Files.readString(modelDir.resolve(BundledModels.TOKENIZER_FILE)))
                .get("model").get("vocab").size();
        assertEquals(c.vocabSize(), tokenizerVocab);
    }
}
