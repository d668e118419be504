// Sentence embeddings for Java services: tokenizes texts, truncates each to maxTokens word
// pieces (keeping the closing special token), sorts them by length and runs batches padded only
// to the longest text of each batch (rounded up to a multiple of 8, so a few graph shapes
// serve every batch), then pools (mean over the mask, or CLS) and L2-normalises. Results come
// back in input order. Calls are serialised (synchronized): share one instance between threads
// or keep one per thread.
package dev.strata.engine.runtime;

import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.exec.GraphExecutor;
import dev.strata.engine.model.LoadedModel;
import dev.strata.loader.tokenizer.Tokenizer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

public final class Embedder implements AutoCloseable {
    /** Shape buckets: sequence lengths are padded up to a multiple of this. */
    static final int LENGTH_BUCKET = 8;

    /**
     * @param maxTokens word pieces per text, special tokens included (sentence-transformers' max_seq_length);
     *                  at most the model's positions
     * @param batchSize texts per forward pass
     */
    public record Options(Pooling pooling, boolean normalize, int maxTokens, int batchSize) {
        public Options {
            if (maxTokens < 2) throw new IllegalArgumentException("maxTokens " + maxTokens + " must be at least 2 (the special tokens)");
            if (batchSize <= 0) throw new IllegalArgumentException("batchSize " + batchSize + " must be positive");
        }

        /** all-MiniLM-L6-v2's defaults: mean pooling, L2-normalised, 256 word pieces, batches of 32. */
        public static Options defaults() { return new Options(Pooling.MEAN, true, 256, 32); }
    }

    /** One text's embedding and the number of tokens it was encoded with. */
    public record Embedding(int tokens, float[] vector) {}

    private final EncoderEngine engine;
    private final Tokenizer tokenizer;
    private final Options options;
    private final int dim;

    public Embedder(LoadedModel model, Tokenizer tokenizer, ComputeDevice device, Options options) {
        int positions = model.encoder().maxPositions();
        if (options.maxTokens() > positions) {
            throw new IllegalArgumentException("maxTokens " + options.maxTokens() + " exceeds the model's " + positions + " positions");
        }
        this.engine = new EncoderEngine(model, device);
        this.tokenizer = tokenizer;
        this.options = options;
        this.dim = model.config().hiddenSize();
    }

    public int dimension() { return dim; }

    /** The encoder engine underneath (for profiling and raw hidden states). */
    public EncoderEngine engine() { return engine; }

    /** Token ids of one text as the model sees it: special tokens added, truncated to maxTokens. */
    public int[] tokenize(String text) {
        int[] ids = tokenizer.encode(text, true);
        if (ids.length <= options.maxTokens()) return ids;
        int[] cut = Arrays.copyOf(ids, options.maxTokens());
        cut[cut.length - 1] = ids[ids.length - 1];
        return cut;
    }

    public synchronized List<Embedding> embed(List<String> texts) {
        int[][] ids = new int[texts.size()][];
        for (int i = 0; i < ids.length; i++) ids[i] = tokenize(texts.get(i));
        return embedTokens(ids);
    }

    /** Embeds already-tokenized texts (each non-empty, within maxTokens, ids inside the vocabulary). */
    public synchronized List<Embedding> embedTokens(int[][] ids) {
        int vocab = engine.model().config().vocabSize();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i].length == 0 || ids[i].length > options.maxTokens()) {
                throw new IllegalArgumentException("text " + i + " has " + ids[i].length + " tokens; expected 1 to " + options.maxTokens());
            }
            for (int t : ids[i]) {
                if (t < 0 || t >= vocab) throw new IllegalArgumentException("text " + i + " has token id " + t + " outside the vocabulary [0, " + vocab + ")");
            }
        }
        Integer[] order = new Integer[ids.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingInt(i -> ids[i].length));
        Embedding[] out = new Embedding[ids.length];
        for (int from = 0; from < order.length; from += options.batchSize()) {
            int to = Math.min(order.length, from + options.batchSize());
            runBatch(ids, Arrays.copyOfRange(order, from, to), out);
        }
        return List.of(out);
    }

    private void runBatch(int[][] ids, Integer[] members, Embedding[] out) {
        int batch = members.length, longest = ids[members[batch - 1]].length;
        int seqLen = Math.min(engine.model().encoder().maxPositions(), (longest + LENGTH_BUCKET - 1) / LENGTH_BUCKET * LENGTH_BUCKET);
        int[] tokens = new int[batch * seqLen], mask = new int[batch * seqLen];
        for (int b = 0; b < batch; b++) {
            int[] t = ids[members[b]];
            System.arraycopy(t, 0, tokens, b * seqLen, t.length);
            Arrays.fill(mask, b * seqLen, b * seqLen + t.length, 1);
        }
        GraphExecutor ex = engine.encode(tokens, null, mask, batch, seqLen, false);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment hidden = arena.allocate((long) batch * seqLen * dim * Float.BYTES, 64);
            ex.readInto("last_hidden_state", hidden);
            for (int b = 0; b < batch; b++) {
                out[members[b]] = new Embedding(ids[members[b]].length, options.pooling().pool(hidden, mask, b, seqLen, dim, options.normalize()));
            }
        }
    }

    @Override public void close() { engine.close(); }
}
