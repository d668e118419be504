// `strata generate`: greedy generation with an encoder-decoder model (T5, Marian) from token ids,
// no tokenizer needed. Prints one line of generated ids per source row (the decoder start token
// first, as transformers' generate returns them); rows stop at EOS unless --no-eos-stop.
package dev.strata.cli;

import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.runtime.Seq2SeqEngine;
import dev.strata.engine.runtime.Seq2SeqGenerator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Greedy generation with an encoder-decoder model (T5, Marian) from source token ids.")
public final class GenerateCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin BackendOptionsMixin backend;

    @Option(names = "--model", required = true, description = "model directory (config.json + safetensors)") Path model;
    @Option(names = "--input-ids", required = true, description = "source ids: comma-separated, rows separated by ';' (all rows the same length), e.g. 1,2,3;4,5,6")
    String inputIds;
    @Option(names = "--max-new-tokens", defaultValue = "20", description = "tokens to generate per row (default: ${DEFAULT-VALUE})") int maxNewTokens;
    @Option(names = "--no-eos-stop", description = "generate exactly --max-new-tokens tokens even after EOS") boolean noEosStop;

    @Override public Integer call() throws Exception {
        if (maxNewTokens < 0) throw new IllegalArgumentException("--max-new-tokens " + maxNewTokens + " must be >= 0");
        List<int[]> rows = parseRows(inputIds);
        try (LoadedModel m = LoadedModel.open(model)) {
            if (!m.isEncoderDecoder()) {
                throw new IllegalArgumentException("model_type '" + m.config().modelType() + "' is not an encoder-decoder; `strata generate` runs t5 and marian models (use `strata run` for decoders)");
            }
            int vocab = m.config().vocabSize(), limit = m.encoderDecoder().positionLimit();
            for (int r = 0; r < rows.size(); r++) {
                for (int id : rows.get(r)) {
                    if (id >= vocab) throw new IllegalArgumentException("--input-ids row " + (r + 1) + " has id " + id + "; expected ids below the vocabulary size " + vocab);
                }
            }
            int srcLen = rows.get(0).length;
            if (srcLen > limit) throw new IllegalArgumentException("--input-ids rows have " + srcLen + " ids; the model has " + limit + " positions");
            if (maxNewTokens > limit) throw new IllegalArgumentException("--max-new-tokens " + maxNewTokens + " exceeds the model's " + limit + " positions");
            try (ComputeDevice dev = backend.open(); Seq2SeqEngine engine = new Seq2SeqEngine(m, dev, rows.size(), Math.max(1, maxNewTokens))) {
                Seq2SeqGenerator.Result r = new Seq2SeqGenerator(engine).generate(rows, maxNewTokens, !noEosStop);
                PrintWriter out = spec.commandLine().getOut();
                for (int[] ids : r.ids()) out.println(Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(",")));
                out.flush();
            }
        }
        return 0;
    }

    /** "1,2,3;4,5,6" → rows of ids; errors name the row, the token and what was expected. */
    static List<int[]> parseRows(String text) {
        List<int[]> rows = new ArrayList<>();
        String[] parts = text.split(";", -1);
        for (int r = 0; r < parts.length; r++) {
            String row = parts[r].trim();
            if (row.isEmpty()) throw new IllegalArgumentException("--input-ids row " + (r + 1) + " is empty; expected comma-separated token ids like 1,2,3");
            String[] tok = row.split(",", -1);
            int[] ids = new int[tok.length];
            for (int i = 0; i < tok.length; i++) {
                try {
                    ids[i] = Integer.parseInt(tok[i].trim());
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException("--input-ids row " + (r + 1) + " item " + (i + 1) + " is '" + tok[i].trim() + "'; expected a non-negative integer token id");
                }
                if (ids[i] < 0) throw new IllegalArgumentException("--input-ids row " + (r + 1) + " has id " + ids[i] + "; expected non-negative token ids");
            }
            if (!rows.isEmpty() && ids.length != rows.get(0).length) {
                throw new IllegalArgumentException("--input-ids rows are ragged: row " + (r + 1) + " has " + ids.length + " ids, row 1 has " + rows.get(0).length
                        + "; expected every row to have the same number of ids");
            }
            rows.add(ids);
        }
        return rows;
    }
}
