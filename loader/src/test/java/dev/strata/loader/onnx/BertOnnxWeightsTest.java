// BertOnnxWeights on tiny hand-built BERT-shaped graphs: MatMul weights named through their bias Add, config derived.
package dev.strata.loader.onnx;

import static dev.strata.loader.onnx.OnnxModels.floatData;
import static dev.strata.loader.onnx.OnnxModels.floatRaw;
import static dev.strata.loader.onnx.OnnxModels.int64Data;
import static dev.strata.loader.onnx.OnnxModels.model;
import static dev.strata.loader.onnx.OnnxModels.node;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.loader.HfConfig;
import dev.strata.loader.TensorInfo;
import dev.strata.loader.WeightSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BertOnnxWeightsTest {

    private static final String Q_BIAS = "encoder.layer.0.attention.self.query.bias";
    private static final String I_BIAS = "encoder.layer.0.intermediate.dense.bias";

    @TempDir
    Path dir;

    /** hidden 4, 1 layer, intermediate 6, vocab 10, 8 positions; heads from a Reshape if {@code reshape}. */
    static Proto bertGraph(String prefix, boolean reshape) {
        Proto eps = Proto.msg().string(1, "value").varint(20, 4)
                .msg(5, OnnxModels.rawTensor("", OnnxModels.FLOAT, new long[0], Proto.floats(1e-6f)));
        Proto g = Proto.msg()
                .msg(1, node("MatMul", "q/MatMul", List.of("x", "onnx::MatMul_1"), List.of("q_mm")))
                .msg(1, node("Add", "q/Add", List.of(prefix + Q_BIAS, "q_mm"), List.of("q")))
                .msg(1, node("MatMul", "i/MatMul", List.of("q", "onnx::MatMul_2"), List.of("i_mm")))
                .msg(1, node("Add", "i/Add", List.of("i_mm", prefix + I_BIAS), List.of("i")))
                .msg(1, node("Constant", "ln/Constant", List.of(), List.of("eps")).msg(5, eps))
                .msg(1, node("Add", "ln/Add", List.of("var", "eps"), List.of("ve")))
                .msg(1, node("Sqrt", "ln/Sqrt", List.of("ve"), List.of("sd")))
                .msg(5, floatRaw(prefix + "embeddings.word_embeddings.weight", 10, 4))
                .msg(5, floatRaw(prefix + "embeddings.position_embeddings.weight", 8, 4))
                .msg(5, floatRaw(prefix + "embeddings.token_type_embeddings.weight", 2, 4))
                .msg(5, floatRaw(prefix + "embeddings.LayerNorm.weight", 4))
                .msg(5, floatRaw(prefix + "embeddings.LayerNorm.bias", 4))
                .msg(5, int64Data(prefix + "embeddings.position_ids", new long[] {1, 8}, 0, 1, 2, 3, 4, 5, 6, 7))
                .msg(5, floatData(prefix + Q_BIAS, new long[] {4}, 1, 2, 3, 4))
                .msg(5, floatRaw(prefix + I_BIAS, 6))
                .msg(5, floatRaw("onnx::MatMul_1", 4, 4))
                .msg(5, floatRaw("onnx::MatMul_2", 4, 6));
        if (reshape) {
            g.msg(1, node("Reshape", "q/Reshape", List.of("q", "onnx::Reshape_9"), List.of("qr")))
                    .msg(5, int64Data("onnx::Reshape_9", new long[] {4}, 0, 0, 2, 2));
        }
        return g;
    }

    private BertOnnxWeights open(Proto graph) throws IOException {
        return BertOnnxWeights.open(OnnxModels.write(dir, "bert.onnx", model(graph)));
    }

    @Test
    void mapsMatMulWeightsThroughTheirBias() throws IOException {
        byte[] bytes = model(bertGraph("", true));
        try (BertOnnxWeights w = BertOnnxWeights.open(OnnxModels.write(dir, "b.onnx", bytes))) {
            assertEquals(List.of("embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                    "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight",
                    "embeddings.LayerNorm.bias", "encoder.layer.0.attention.self.query.weight", Q_BIAS,
                    "encoder.layer.0.intermediate.dense.weight", I_BIAS), List.copyOf(w.names()));
            assertTrue(w.linearWeightsTransposed());
            assertTrue(w.transposed("encoder.layer.0.intermediate.dense.weight"));
            assertFalse(w.transposed(I_BIAS));
            assertFalse(w.transposed("embeddings.word_embeddings.weight"));
            TensorInfo inter = w.info("encoder.layer.0.intermediate.dense.weight");
            assertEquals("encoder.layer.0.intermediate.dense.weight", inter.name());
            assertArrayEquals(new long[] {4, 6}, inter.shape());
            byte[] stored = Arrays.copyOfRange(bytes, (int) inter.dataOffset(), (int) (inter.dataOffset() + 96));
            assertArrayEquals(Proto.floats(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                    21, 22, 23), stored);
            assertEquals("onnx::MatMul_2", w.onnxNames().get("encoder.layer.0.intermediate.dense.weight"));
            assertEquals(-1, w.info(Q_BIAS).dataOffset());
            assertEquals(4 * (40 + 32 + 8 + 4 + 4 + 16 + 4 + 24 + 6), w.totalBytes());
            assertFalse(w.contains("embeddings.position_ids"));
            assertThrows(NoSuchElementException.class, () -> w.info("pooler.dense.weight"));
        }
    }

    @Test
    void derivedConfigParses() throws IOException {
        try (BertOnnxWeights w = open(bertGraph("", true))) {
            assertEquals(2, w.attentionHeads().orElseThrow());
            HfConfig c = HfConfig.parse(w.configJson(99));
            assertEquals("bert", c.modelType());
            assertEquals(List.of("BertModel"), c.architectures());
            assertEquals(4, c.hiddenSize());
            assertEquals(1, c.numLayers());
            assertEquals(2, c.numHeads());
            assertEquals(6, c.intermediateSize());
            assertEquals(10, c.vocabSize());
            assertEquals(8, c.maxPositions());
            assertEquals(1e-6, c.normEps());
            assertEquals("gelu", c.hiddenAct());
            assertEquals(0, c.padTokenId());
            assertEquals(2, c.raw().get("type_vocab_size").asInt());
        }
    }

    @Test
    void fallbackHeadsWhenTheGraphGivesNone() throws IOException {
        try (BertOnnxWeights w = open(bertGraph("", false))) {
            assertTrue(w.attentionHeads().isEmpty());
            assertEquals(4, HfConfig.parse(w.configJson(4)).numHeads());
            OnnxException ex = assertThrows(OnnxException.class, () -> w.configJson(3));
            assertTrue(ex.getMessage().endsWith("3 attention heads do not divide hidden_size 4 (fallback; the graph "
                    + "gives none)"), ex::getMessage);
        }
    }

    @Test
    void prefixIsDropped() throws IOException {
        try (BertOnnxWeights w = open(bertGraph("bert.", true))) {
            assertTrue(w.contains("encoder.layer.0.attention.self.query.weight"));
            assertTrue(w.contains("embeddings.word_embeddings.weight"));
            assertEquals("bert.embeddings.word_embeddings.weight", w.onnxNames().get("embeddings.word_embeddings.weight"));
            assertTrue(w.names().stream().noneMatch(n -> n.startsWith("bert.")));
        }
    }

    @Test
    void hfNames() {
        assertEquals("encoder.layer.1.output.dense.bias", BertOnnxWeights.hfName("bert.encoder.layer.1.output.dense.bias"));
        assertEquals("pooler.dense.weight", BertOnnxWeights.hfName("pooler.dense.weight"));
        assertEquals(null, BertOnnxWeights.hfName("onnx::MatMul_787"));
        assertEquals(null, BertOnnxWeights.hfName("myencoder.layer"));
    }

    @Test
    void unmappableMatMulWeight() throws IOException {
        Proto g = bertGraph("", false)
                .msg(1, node("MatMul", "lost/MatMul", List.of("x", "onnx::MatMul_3"), List.of("lost")))
                .msg(5, floatRaw("onnx::MatMul_3", 4, 4));
        Path file = OnnxModels.write(dir, "u.onnx", model(g));
        OnnxException ex = assertThrows(OnnxException.class, () -> BertOnnxWeights.open(file).close());
        assertEquals(file + ": MatMul weight 'onnx::MatMul_3' (node 'lost/MatMul') cannot be mapped: its output "
                + "'lost' feeds no Add with a '*.bias' initializer named after a BertModel module", ex.getMessage());
    }

    @Test
    void twoWeightsMapToOneName() throws IOException {
        Proto g = bertGraph("", false)
                .msg(1, node("MatMul", "dup/MatMul", List.of("x", "onnx::MatMul_3"), List.of("d_mm")))
                .msg(1, node("Add", "dup/Add", List.of(Q_BIAS, "d_mm"), List.of("d")))
                .msg(5, floatRaw("onnx::MatMul_3", 4, 4));
        Path file = OnnxModels.write(dir, "d.onnx", model(g));
        OnnxException ex = assertThrows(OnnxException.class, () -> BertOnnxWeights.open(file).close());
        assertEquals(file + ": MatMul weights 'onnx::MatMul_1' and 'onnx::MatMul_3' both map to "
                + "'encoder.layer.0.attention.self.query.weight'", ex.getMessage());
    }

    @Test
    void oneWeightFeedingTwoLayers() throws IOException {
        Proto g = bertGraph("", false)
                .msg(1, node("MatMul", "k/MatMul", List.of("x", "onnx::MatMul_1"), List.of("k_mm")))
                .msg(1, node("Add", "k/Add", List.of("encoder.layer.0.attention.self.key.bias", "k_mm"), List.of("k")))
                .msg(5, floatRaw("encoder.layer.0.attention.self.key.bias", 4));
        Path file = OnnxModels.write(dir, "shared.onnx", model(g));
        OnnxException ex = assertThrows(OnnxException.class, () -> BertOnnxWeights.open(file).close());
        assertEquals(file + ": MatMul weight 'onnx::MatMul_1' feeds two Linear layers, 'encoder.layer.0.attention.self.query.weight'"
                + " and 'encoder.layer.0.attention.self.key.weight'; expected one weight per layer", ex.getMessage());
    }

    @Test
    void notABertExport() throws IOException {
        Path file = OnnxModels.write(dir, "n.onnx", model(Proto.msg().msg(5, floatRaw("w", 2))));
        OnnxException ex = assertThrows(OnnxException.class, () -> BertOnnxWeights.open(file).close());
        assertTrue(ex.getMessage().contains("no initializer is named after a BertModel module"), ex::getMessage);
    }

    @Test
    void isAWeightSource() throws IOException {
        try (WeightSource w = open(bertGraph("", true))) {
            assertEquals(4, w.data(Q_BIAS).byteSize() / 4);
        }
    }
}
