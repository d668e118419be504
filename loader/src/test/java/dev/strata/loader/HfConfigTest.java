// config.json parsing: every fixture, the older rope_scaling dialect, defaults and error messages.
package dev.strata.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfConfigTest {

    @TempDir
    Path dir;

    static Path fixtures() {
        return Path.of(System.getProperty("strata.fixtures", "../../shared/fixtures"));
    }

    private static HfConfig fixture(String name) throws IOException {
        Path f = fixtures().resolve(name).resolve("config.json");
        assumeTrue(Files.isRegularFile(f), "fixture not found: " + f);
        return HfConfig.read(f);
    }

    @Test
    void llamaGqaWithLlama3RopeParameters() throws IOException {
        HfConfig c = fixture("llama-gqa");
        assertEquals("llama", c.modelType());
        assertEquals(List.of("LlamaForCausalLM"), c.architectures());
        assertEquals(64, c.hiddenSize());
        assertEquals(3, c.numLayers());
        assertEquals(8, c.numHeads());
        assertEquals(2, c.numKvHeads());
        assertEquals(8, c.headDim());
        assertEquals(172, c.intermediateSize());
        assertEquals(512, c.vocabSize());
        assertEquals(256, c.maxPositions());
        assertEquals(1e-5, c.normEps());
        assertEquals("silu", c.hiddenAct());
        assertFalse(c.tieWordEmbeddings());
        assertFalse(c.attentionBias());
        assertFalse(c.mlpBias());
        assertEquals(1, c.bosTokenId());
        assertEquals(List.of(2), c.eosTokenIds());
        assertNull(c.padTokenId());
        assertEquals(new HfConfig.RopeConfig(500000.0, "llama3", 8.0, 1.0, 4.0, 64, 1.0), c.rope());
        assertEquals(8, c.rotaryDim());
    }

    @Test
    void otherDecoderFixtures() throws IOException {
        HfConfig mqa = fixture("llama-mqa");
        assertEquals(1, mqa.numKvHeads());
        assertEquals(16, mqa.headDim());
        assertTrue(mqa.tieWordEmbeddings());
        assertEquals(new HfConfig.RopeConfig(10000.0, "default", 1.0, 1.0, 4.0, 256, 1.0), mqa.rope());

        HfConfig bf16 = fixture("llama-gqa-bf16");
        assertEquals(2, bf16.numLayers());
        assertEquals(1e-6, bf16.normEps());
        assertEquals("default", bf16.rope().type());

        HfConfig l256 = fixture("llama-256");
        assertEquals(64, l256.headDim());
        assertEquals(768, l256.intermediateSize());

        HfConfig qwen = fixture("qwen2");
        assertEquals("qwen2", qwen.modelType());
        assertTrue(qwen.attentionBias());
        assertFalse(qwen.mlpBias());
        assertTrue(qwen.tieWordEmbeddings());
        assertEquals(16, qwen.headDim());
        assertEquals(160, qwen.intermediateSize());
        assertEquals(1e6, qwen.rope().theta());
        assertNull(qwen.bosTokenId());
        assertEquals(List.of(), qwen.eosTokenIds());

        HfConfig gpt2 = fixture("gpt2");
        assertEquals("gpt2", gpt2.modelType());
        assertEquals(64, gpt2.hiddenSize());
        assertEquals(2, gpt2.numLayers());
        assertEquals(4, gpt2.numHeads());
        assertEquals(4, gpt2.numKvHeads());
        assertEquals(16, gpt2.headDim());
        assertEquals(256, gpt2.intermediateSize());
        assertEquals(128, gpt2.maxPositions());
        assertEquals(1e-5, gpt2.normEps());
        assertEquals("gelu_new", gpt2.hiddenAct());
        assertTrue(gpt2.tieWordEmbeddings());
        assertTrue(gpt2.attentionBias());
        assertTrue(gpt2.mlpBias());
        assertEquals(List.of(50256), gpt2.eosTokenIds());
    }

    @Test
    void encoderFixturesParseOrFailClearly() throws IOException {
        HfConfig bert = fixture("bert");
        assertEquals("bert", bert.modelType());
        assertEquals(1e-12, bert.normEps());
        assertEquals(0, bert.padTokenId());
        assertEquals(16, bert.headDim());
    }

    @Test
    void encoderDecoderFixtures() throws IOException {
        HfConfig t5 = fixture("t5");
        assertTrue(t5.isEncoderDecoder());
        assertEquals(64, t5.hiddenSize());
        EncoderDecoderConfig e = t5.encoderDecoder();
        assertEquals(new EncoderDecoderConfig("t5", 64, 2, 2, 4, 4, 16, 128, 128, 512, 0, 1e-6, "gelu_new", true, 32, 128,
                true, false, false, 0, 0, List.of(1)), e);
        HfConfig marian = fixture("marian");
        assertTrue(marian.isEncoderDecoder());
        assertFalse(fixture("bert").isEncoderDecoder());
        assertEquals(new EncoderDecoderConfig("marian", 64, 2, 2, 4, 4, 16, 128, 128, 512, 128, 1e-5, "swish", false, 0, 0,
                true, false, true, 511, 511, List.of(0)), marian.encoderDecoder());
        assertEquals(128, marian.maxPositions());
        assertEquals("config.json: missing required key d_kv",
                assertThrows(ConfigException.class, () -> HfConfig.parse("{\"model_type\": \"t5\", \"d_model\": 8, \"num_layers\": 1, \"num_heads\": 2, \"d_ff\": 8, \"vocab_size\": 9}")).getMessage());
        assertEquals("config.json: feed_forward_proj 'gated-gelu-x' is not ACT or gated-ACT (e.g. relu, gated-gelu)",
                assertThrows(ConfigException.class, () -> HfConfig.parse("{\"model_type\": \"t5\", \"d_model\": 8, \"num_layers\": 1, \"num_heads\": 2, \"d_kv\": 4, \"d_ff\": 8, \"vocab_size\": 9, \"feed_forward_proj\": \"gated-gelu-x\"}")).getMessage());
        assertEquals("config.json: missing required key encoder_ffn_dim",
                assertThrows(ConfigException.class, () -> HfConfig.parse("{\"model_type\": \"marian\", \"d_model\": 8, \"encoder_layers\": 1, \"decoder_layers\": 1, \"encoder_attention_heads\": 2, \"decoder_attention_heads\": 2, \"vocab_size\": 9, \"decoder_start_token_id\": 8, \"decoder_ffn_dim\": 8, \"max_position_embeddings\": 16}")).getMessage());
    }

    @Test
    void generationConfigs() throws IOException {
        assumeTrue(Files.isDirectory(fixtures()), "fixtures not found at " + fixtures());
        assertEquals(Optional.of(new GenerationConfig(1, List.of(2), null)),
                GenerationConfig.read(fixtures().resolve("llama-gqa")));
        assertEquals(Optional.of(new GenerationConfig(null, List.of(), null)),
                GenerationConfig.read(fixtures().resolve("qwen2")));
        assertEquals(Optional.of(new GenerationConfig(null, List.of(0), 511)),
                GenerationConfig.read(fixtures().resolve("marian")));
        assertEquals(Optional.empty(), GenerationConfig.read(fixtures().resolve("bert")));
        assertEquals(List.of(128001, 128009),
                GenerationConfig.parse("{\"eos_token_id\":[128001,128009]}").eosTokenIds());
    }

    @Test
    void olderRopeThetaAndRopeScalingDialect() throws IOException {
        Path f = dir.resolve("config.json");
        Files.writeString(f, """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama",
                 "hidden_size": 2048, "num_hidden_layers": 16, "num_attention_heads": 32,
                 "num_key_value_heads": 8, "intermediate_size": 8192, "vocab_size": 128256,
                 "max_position_embeddings": 131072, "rms_norm_eps": 1e-05, "hidden_act": "silu",
                 "tie_word_embeddings": true, "bos_token_id": 128000,
                 "eos_token_id": [128001, 128008, 128009], "head_dim": null,
                 "rope_theta": 500000.0,
                 "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                  "original_max_position_embeddings": 8192, "rope_type": "llama3"}}
                """);
        HfConfig c = HfConfig.read(f);
        assertEquals(64, c.headDim());
        assertEquals(List.of(128001, 128008, 128009), c.eosTokenIds());
        assertEquals(new HfConfig.RopeConfig(500000.0, "llama3", 32.0, 1.0, 4.0, 8192, 1.0), c.rope());

        HfConfig linear = HfConfig.parse("""
                {"model_type": "mistral", "hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
                 "intermediate_size": 128, "vocab_size": 10, "max_position_embeddings": 32,
                 "rope_theta": 1e6, "rope_scaling": {"type": "linear", "factor": 2.0},
                 "partial_rotary_factor": 0.5}
                """);
        assertEquals(new HfConfig.RopeConfig(1e6, "linear", 2.0, 1.0, 4.0, 32, 0.5), linear.rope());
        assertEquals(8, linear.rotaryDim());
        assertFalse(linear.tieWordEmbeddings());
        assertEquals(1e-6, linear.normEps());
        assertEquals("silu", linear.hiddenAct());

        HfConfig nullScaling = HfConfig.parse(minimal("\"rope_scaling\": null"));
        assertEquals(new HfConfig.RopeConfig(10000.0, "default", 1.0, 1.0, 4.0, 32, 1.0), nullScaling.rope());
    }

    private static String minimal(String extra) {
        return "{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_hidden_layers\": 1, "
                + "\"num_attention_heads\": 4, \"intermediate_size\": 128, \"vocab_size\": 10, "
                + "\"max_position_embeddings\": 32" + (extra.isEmpty() ? "" : ", " + extra) + "}";
    }

    private static String error(String json) {
        return assertThrows(ConfigException.class, () -> HfConfig.parse(json)).getMessage();
    }

    @Test
    void errorsNameTheKey() {
        assertEquals("config.json: num_attention_heads 4 must be a multiple of num_key_value_heads 3",
                error(minimal("\"num_key_value_heads\": 3")));
        assertEquals("config.json: key 'hidden_size' must be a positive integer; got -64",
                error(minimal("").replace("\"hidden_size\": 64", "\"hidden_size\": -64")));
        assertEquals("config.json: key 'vocab_size' must be a 32-bit integer; got \"10\"",
                error(minimal("").replace("\"vocab_size\": 10", "\"vocab_size\": \"10\"")));
        assertEquals("config.json: missing required key intermediate_size",
                error(minimal("").replace("\"intermediate_size\": 128, ", "")));
        assertEquals("config.json [rope_scaling]: rope_type 'llama3' needs key 'low_freq_factor'",
                error(minimal("\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}")));
        assertEquals("config.json: key 'rope_scaling' must be an object; got 3", error(minimal("\"rope_scaling\": 3")));
        assertTrue(error(minimal("\"vocab_size\": 11")).contains("Duplicate field 'vocab_size'"));
        assertTrue(error("[]").contains("expected a JSON object"));
        assertEquals("config.json: hidden_size 64 is not a multiple of num_attention_heads 3 and no head_dim is given",
                error(minimal("").replace("\"num_attention_heads\": 4", "\"num_attention_heads\": 3")));
    }
}
