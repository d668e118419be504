// `strata search`: the main job. Embeds a built-in list of sentences (or --corpus FILE, one per
// line) with all-MiniLM-L6-v2 on the default backend and ranks them against queries by cosine
// similarity, printing the top hits and the timings of each stage.
package dev.strata.cli;

import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.runtime.Embedder;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "search", mixinStandardHelpOptions = true,
        description = "Semantic search demo: embed sentences with MiniLM and rank them against queries.")
public final class SearchCommand implements Callable<Integer> {
    static final List<String> SENTENCES = List.of(
            "The cat sat quietly on the warm windowsill.",
            "A kitten is sleeping in the sun by the window.",
            "Dogs love to chase balls in the park.",
            "The stock market fell sharply after the interest rate announcement.",
            "Central banks raised rates to fight inflation.",
            "The new graphics card doubles memory bandwidth.",
            "GPUs are limited by memory bandwidth when decoding one token at a time.",
            "She baked a chocolate cake for her brother's birthday.",
            "The recipe needs flour, sugar, eggs and butter.",
            "The football match ended in a draw after extra time.",
            "The team scored twice in the final minutes to win the cup.",
            "Heavy rain is expected across the north tomorrow.",
            "The forecast says it will be sunny and warm this weekend.",
            "Java services embed the engine to compute sentence embeddings.",
            "The JVM runs bytecode compiled from Java and Kotlin.",
            "Paris is the capital of France.",
            "Tokyo is the largest city in Japan.",
            "He learned to play the violin as a child.",
            "The orchestra performed a Beethoven symphony last night.",
            "Regular exercise improves sleep and mood.");
    static final List<String> QUERIES = List.of(
            "Where is my pet napping?",
            "How fast is inference on a graphics processor?",
            "Will it rain this week?",
            "What happened in the sports game?");

    @Spec CommandSpec spec;
    @Mixin BackendOptionsMixin backend;
    @Mixin EmbeddingModelOptions modelOptions;

    @Option(names = {"-q", "--query"}, description = "a query (repeatable; default: four built-in queries)")
    List<String> queries;

    @Option(names = "--corpus", description = "file with one sentence per line (default: 20 built-in sentences)")
    Path corpus;

    @Option(names = {"-k", "--top"}, defaultValue = "3", description = "hits per query (default: ${DEFAULT-VALUE})")
    int top;

    @Override public Integer call() throws Exception {
        if (top <= 0) throw new IllegalArgumentException("--top " + top + " must be positive");
        List<String> docs = corpus == null ? SENTENCES : Files.readAllLines(corpus, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        if (docs.isEmpty()) throw new IllegalArgumentException("--corpus " + corpus + " has no non-blank lines");
        List<String> qs = queries == null ? QUERIES : queries;
        PrintWriter out = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        try (ComputeDevice dev = backend.open(); EmbeddingModelOptions.Session s = modelOptions.open(dev)) {
            long t1 = System.nanoTime();
            out.printf("model: %s (%s), %d dims, on %s; loaded in %.0f ms%n", modelOptions.model, s.model().config().architectures(),
                    s.embedder().dimension(), dev.description(), (t1 - t0) / 1e6);
            List<Embedder.Embedding> docEmb = s.embedder().embed(docs);
            long t2 = System.nanoTime();
            int tokens = docEmb.stream().mapToInt(Embedder.Embedding::tokens).sum();
            out.printf("indexed %d sentences (%d tokens) in %.1f ms: %.0f tokens/s (first call: JIT warm-up and graph building included)%n",
                    docs.size(), tokens, (t2 - t1) / 1e6, tokens / ((t2 - t1) / 1e9));
            s.embedder().embed(docs);
            long t3 = System.nanoTime();
            out.printf("indexed again in %.1f ms: %.0f tokens/s%n", (t3 - t2) / 1e6, tokens / ((t3 - t2) / 1e9));
            for (String q : qs) {
                long q0 = System.nanoTime();
                float[] qv = s.embedder().embed(List.of(q)).getFirst().vector();
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < docs.size(); i++) order.add(i);
                double[] score = new double[docs.size()];
                for (int i = 0; i < docs.size(); i++) score[i] = dot(qv, docEmb.get(i).vector());
                order.sort(Comparator.comparingDouble((Integer i) -> -score[i]));
                long q1 = System.nanoTime();
                out.printf("%nquery: %s   (%.1f ms)%n", q, (q1 - q0) / 1e6);
                for (int r = 0; r < Math.min(top, docs.size()); r++) {
                    int i = order.get(r);
                    out.printf("  %d. %.4f  %s%n", r + 1, score[i], docs.get(i));
                }
            }
        }
        return 0;
    }

    /** Cosine similarity of L2-normalised vectors (or the raw dot product with --no-normalize). */
    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }
}
