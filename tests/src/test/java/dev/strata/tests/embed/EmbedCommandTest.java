// `strata embed` and `strata search` (the README's main job) with the bundled MiniLM on the CPU:
// the JSON-lines contract (index order, token counts, unit-norm 384-d vectors, identical to the
// Java API's with the same batch size — batch composition picks the matmul kernel, which may move
// the last bit), semantic ranking on the built-in sentences, and clear errors for bad options.
package dev.strata.tests.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strata.cli.Main;
import dev.strata.engine.backend.BackendOptions;
import dev.strata.engine.backend.Backends;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.runtime.Embedder;
import dev.strata.engine.runtime.Pooling;
import dev.strata.loader.onnx.BundledModels;
import dev.strata.loader.tokenizer.HfTokenizer;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmbedCommandTest {
    record Result(int code, String out, String err) {}

    static Result run(String stdin, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        InputStream saved = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            return new Result(cl.execute(args), out.toString(), err.toString());
        } finally {
            System.setIn(saved);
        }
    }

    @Test
    void writesOneJsonLinePerTextInInputOrderMatchingTheJavaApi() throws Exception {
        List<String> texts = List.of("The cat sat on the mat.", "", "Crème brûlée 🚀", "A much longer sentence about memory bandwidth and GPUs.");
        Result r = run(String.join("\n", texts) + "\n", "embed", "--backend", "cpu", "--batch", "3");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(texts.size(), lines.length, r.out());
        Path dir = BundledModels.allMiniLmL6V2();
        try (LoadedModel m = LoadedModel.open(dir); HfTokenizer tok = HfTokenizer.load(dir.resolve("tokenizer.json"));
             ComputeDevice cpu = Backends.select("cpu").open(new BackendOptions(null, false, 0));
             Embedder e = new Embedder(m, tok, cpu, new Embedder.Options(Pooling.MEAN, true, 256, 3))) {
            List<Embedder.Embedding> api = e.embed(texts);
            ObjectMapper json = new ObjectMapper();
            for (int i = 0; i < lines.length; i++) {
                JsonNode n = json.readTree(lines[i]);
                assertEquals(i, n.get("index").asInt());
                assertEquals(api.get(i).tokens(), n.get("tokens").asInt());
                float[] v = new float[n.get("embedding").size()];
                for (int c = 0; c < v.length; c++) v[c] = n.get("embedding").get(c).floatValue();
                assertEquals(384, v.length);
                double norm = 0;
                for (float x : v) norm += x * x;
                assertEquals(1.0, norm, 1e-5);
                assertArrayEquals(api.get(i).vector(), v, "text " + i);
            }
            assertEquals(2, api.get(1).tokens(), "the empty line is [CLS] [SEP]");
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> e.embedTokens(new int[][] {{101, 102}, {101, 30522, 102}}));
            assertEquals("text 1 has token id 30522 outside the vocabulary [0, 30522)", bad.getMessage());
        }
    }

    @Test
    void searchRanksTheMatchingSentenceFirst() {
        Result r = run("", "search", "--backend", "cpu", "-q", "Where is my pet napping?", "-q", "Will it rain this week?", "-k", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("1. ") && r.out().contains("A kitten is sleeping in the sun by the window."), r.out());
        assertTrue(r.out().contains("Heavy rain is expected across the north tomorrow."), r.out());
        assertTrue(r.out().contains("indexed 20 sentences"), r.out());
    }

    @Test
    void badOptionsAreRejectedWithTheExpectedValues() {
        Result r = run("x\n", "embed", "--backend", "cpu", "--pooling", "max");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("expected mean or cls"), r.err());
        r = run("x\n", "embed", "--backend", "cpu", "--max-tokens", "600");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("exceeds the model's 512 positions"), r.err());
        r = run("x\n", "embed", "--backend", "cpu", "--model", "/nonexistent/model");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("expected 'minilm' or a model directory"), r.err());
        r = run("", "search", "--backend", "cpu", "-k", "0");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("--top 0 must be positive"), r.err());
    }
}
