// all-MiniLM-L6-v2 from its Maven artifact: Strata's embeddings against ONNX Runtime's on the
// same ONNX file, on every available backend. ONNX Runtime runs each text alone (no padding)
// and its last_hidden_state is mean-pooled and L2-normalised here in double; Strata runs the
// same token ids through Embedder, whose length-sorted batches pad most texts. Every embedding:
// cosine ≥ 0.99999 and max|a−b| ≤ 1e-4. Also checks the tokenization contract (special tokens,
// no padding to 128, truncation at 256 keeping [SEP]).
package dev.strata.tests.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.strata.engine.backend.BackendOptions;
import dev.strata.engine.backend.Backends;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.runtime.Embedder;
import dev.strata.engine.runtime.Pooling;
import dev.strata.tests.BackendCases;
import dev.strata.loader.onnx.BundledModels;
import dev.strata.loader.tokenizer.HfTokenizer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MiniLmOnnxRuntimeTest {
    static final double MIN_COSINE = 0.99999, MAX_ABS = 1e-4;

    private Path dir;
    private LoadedModel model;
    private HfTokenizer tokenizer;
    private List<String> texts;
    private int[][] ids;
    private double[][] reference;

    @BeforeAll
    void referenceFromOnnxRuntime() throws Exception {
        dir = BundledModels.allMiniLmL6V2();
        model = LoadedModel.open(dir);
        tokenizer = HfTokenizer.load(dir.resolve("tokenizer.json"));
        texts = EmbeddingTexts.all();
        try (ComputeDevice cpu = Backends.select("cpu").open(new BackendOptions(null, false, 0));
             Embedder e = new Embedder(model, tokenizer, cpu, Embedder.Options.defaults())) {
            ids = texts.stream().map(e::tokenize).toArray(int[][]::new);
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(dir.resolve("model.onnx").toString(), new OrtSession.SessionOptions())) {
            reference = new double[ids.length][];
            for (int i = 0; i < ids.length; i++) reference[i] = ortEmbedding(env, session, ids[i]);
        }
    }

    @AfterAll
    void close() {
        tokenizer.close();
        model.close();
    }

    private static double[] ortEmbedding(OrtEnvironment env, OrtSession session, int[] tokens) throws Exception {
        long[] in = Arrays.stream(tokens).asLongStream().toArray(), ones = new long[in.length], zeros = new long[in.length];
        Arrays.fill(ones, 1);
        long[] shape = {1, in.length};
        try (OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(in), shape);
             OnnxTensor m = OnnxTensor.createTensor(env, LongBuffer.wrap(ones), shape);
             OnnxTensor t = OnnxTensor.createTensor(env, LongBuffer.wrap(zeros), shape);
             OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", m, "token_type_ids", t))) {
            float[][] hidden = ((float[][][]) r.get("last_hidden_state").orElseThrow().getValue())[0];
            double[] mean = new double[hidden[0].length];
            for (float[] row : hidden) for (int c = 0; c < mean.length; c++) mean[c] += row[c] / (double) hidden.length;
            double norm = Math.sqrt(Arrays.stream(mean).map(v -> v * v).sum());
            for (int c = 0; c < mean.length; c++) mean[c] /= Math.max(norm, 1e-12);
            return mean;
        }
    }

    @Test
    void tokenizationAddsSpecialTokensDoesNotPadAndTruncatesAt256() {
        assertTrue(texts.size() >= 50, "need at least 50 texts; have " + texts.size());
        assertArrayEquals(new int[] {101, 102}, ids[0], "empty text");
        assertArrayEquals(new int[] {101, 7592, 102}, ids[2], "'hello'");
        int longest = Arrays.stream(ids).mapToInt(t -> t.length).max().orElseThrow();
        int shortest = Arrays.stream(ids).mapToInt(t -> t.length).min().orElseThrow();
        assertEquals(256, longest);
        assertEquals(2, shortest);
        for (int[] t : ids) {
            assertEquals(101, t[0]);
            assertEquals(102, t[t.length - 1]);
        }
        assertTrue(Arrays.stream(ids).filter(t -> t.length == 256).count() >= 2, "some texts must be truncated");
    }

    static List<Arguments> backends() { return BackendCases.all(); }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backends")
    void matchesOnnxRuntime(String backend, String mode) {
        try (ComputeDevice dev = Backends.select(backend).open(new BackendOptions(null, mode.equals("reference"), 0));
             Embedder e = new Embedder(model, tokenizer, dev, new Embedder.Options(Pooling.MEAN, true, 256, 16))) {
            List<Embedder.Embedding> got = e.embedTokens(ids);
            double worstCos = 1, worstAbs = 0;
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < ids.length; i++) {
                float[] v = got.get(i).vector();
                assertEquals(ids[i].length, got.get(i).tokens());
                double dot = 0, na = 0, nb = 0, abs = 0;
                for (int c = 0; c < v.length; c++) {
                    dot += v[c] * reference[i][c];
                    na += (double) v[c] * v[c];
                    nb += reference[i][c] * reference[i][c];
                    abs = Math.max(abs, Math.abs(v[c] - reference[i][c]));
                }
                double cos = dot / Math.sqrt(na * nb);
                worstCos = Math.min(worstCos, cos);
                worstAbs = Math.max(worstAbs, abs);
                if (!(cos >= MIN_COSINE && abs <= MAX_ABS)) failures.add("text " + i + " (" + ids[i].length + " tokens): cosine " + cos + ", max abs " + abs);
            }
            System.out.printf("MiniLM vs ONNX Runtime on %s-%s: %d texts, worst cosine %.9f, worst max|a-b| %.2e%n", backend, mode, ids.length, worstCos, worstAbs);
            assertTrue(failures.isEmpty(), failures.toString());
        }
    }
}
