// `strata embed`: one text per line on stdin, one JSON object per line on stdout —
// {"index": i, "tokens": n, "embedding": [...]} — in input order. Lines are read in chunks so
// long inputs stream; each chunk is batched by length inside the embedder.
package dev.strata.cli;

import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.runtime.Embedder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Embed one text per line of stdin; write one JSON line per text to stdout.")
public final class EmbedCommand implements Callable<Integer> {
    /** Lines embedded per chunk: bounds memory and lets output stream. */
    static final int CHUNK = 1024;

    @Spec CommandSpec spec;
    @Mixin BackendOptionsMixin backend;
    @Mixin EmbeddingModelOptions modelOptions;

    @Override public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (ComputeDevice dev = backend.open(); EmbeddingModelOptions.Session s = modelOptions.open(dev)) {
            List<String> chunk = new ArrayList<>();
            int index = 0;
            for (String line = in.readLine(); ; line = in.readLine()) {
                if (line != null) chunk.add(line);
                if (chunk.size() == CHUNK || (line == null && !chunk.isEmpty())) {
                    List<Embedder.Embedding> es = s.embedder().embed(chunk);
                    for (Embedder.Embedding e : es) out.println(json(index++, e));
                    out.flush();
                    chunk.clear();
                }
                if (line == null) break;
            }
        }
        return 0;
    }

    static String json(int index, Embedder.Embedding e) {
        StringBuilder b = new StringBuilder(16 + e.vector().length * 12);
        b.append("{\"index\": ").append(index).append(", \"tokens\": ").append(e.tokens()).append(", \"embedding\": [");
        for (int i = 0; i < e.vector().length; i++) {
            if (i > 0) b.append(", ");
            b.append(e.vector()[i]);
        }
        return b.append("]}").toString();
    }
}
