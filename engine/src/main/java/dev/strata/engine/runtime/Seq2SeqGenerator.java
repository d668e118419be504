// Greedy generation for encoder-decoder models on a Seq2SeqEngine: encode the sources once, then
// feed the decoder start token and each chosen token through the KV-cached decoder, one step for
// the whole batch at a time. Optionally stops once every row has produced an EOS token (finished
// rows are then continued with the pad token, as transformers does).
package dev.strata.engine.runtime;

import dev.strata.engine.exec.GraphExecutor;
import dev.strata.engine.model.ForwardOptions;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

public final class Seq2SeqGenerator {
    /**
     * ids[b]: the decoder start token followed by the generated tokens (all rows the same length);
     * logits[step][b]: the raw logits that chose token step + 1 of row b (empty unless asked for).
     */
    public record Result(int[][] ids, float[][][] logits) {}

    private final Seq2SeqEngine engine;

    public Seq2SeqGenerator(Seq2SeqEngine engine) { this.engine = engine; }

    /** Sources of possibly different lengths, padded here; see {@link #generate(int[], int[], int, int, boolean, boolean)}. */
    public Result generate(List<int[]> sources, int maxNewTokens, boolean stopAtEos) {
        if (sources.isEmpty()) throw new IllegalArgumentException("no source sequences; expected at least one");
        int srcLen = 0;
        for (int[] s : sources) srcLen = Math.max(srcLen, s.length);
        int pad = engine.config().padTokenId() == null ? 0 : engine.config().padTokenId();
        int[] tokens = new int[sources.size() * srcLen], lengths = new int[sources.size()];
        for (int b = 0; b < sources.size(); b++) {
            int[] s = sources.get(b);
            if (s.length == 0) throw new IllegalArgumentException("source " + b + " is empty; expected at least one token");
            lengths[b] = s.length;
            for (int i = 0; i < srcLen; i++) tokens[b * srcLen + i] = i < s.length ? s[i] : pad;
        }
        return generate(tokens, lengths, srcLen, maxNewTokens, false, stopAtEos);
    }

    /**
     * Greedy decoding of up to maxNewTokens tokens for padded sources (row b: tokens[b*srcLen ..],
     * lengths[b] real tokens). keepLogits also returns every step's logits.
     */
    public Result generate(int[] tokens, int[] lengths, int srcLen, int maxNewTokens, boolean keepLogits, boolean stopAtEos) {
        checkRoom(maxNewTokens);
        engine.encode(tokens, lengths, srcLen);
        return decode(maxNewTokens, keepLogits, stopAtEos);
    }

    /** Greedy decoding over the sources the engine encoded last (its decoder cache is emptied first; the encoder does not run again). */
    public Result decode(int maxNewTokens, boolean keepLogits, boolean stopAtEos) {
        checkRoom(maxNewTokens);
        engine.restartDecoder();
        int batch = engine.batch(), vocab = engine.config().vocabSize();
        List<Integer> eos = engine.model().eosTokenIds();
        int pad = engine.config().padTokenId() == null ? 0 : engine.config().padTokenId();
        int[][] ids = new int[batch][1 + maxNewTokens];
        float[][][] logits = new float[keepLogits ? maxNewTokens : 0][][];
        boolean[] done = new boolean[batch];
        int[] feed = new int[batch];
        java.util.Arrays.fill(feed, engine.config().decoderStartTokenId());
        for (int b = 0; b < batch; b++) ids[b][0] = feed[b];
        int produced = 0;
        try (Arena arena = Arena.ofConfined()) {
            // Without keepLogits only the device's argmax comes back: 4 bytes per row, not a row of logits.
            MemorySegment buf = arena.allocate(keepLogits ? (long) batch * vocab * Float.BYTES : (long) batch * Integer.BYTES, 64);
            while (produced < maxNewTokens) {
                GraphExecutor ex = engine.step(feed, 1, keepLogits ? ForwardOptions.GENERATE : ForwardOptions.ARGMAX);
                ex.readInto(keepLogits ? "logits" : "next_token", buf);
                float[][] step = new float[batch][];
                boolean all = true;
                for (int b = 0; b < batch; b++) {
                    int best;
                    if (keepLogits) {
                        step[b] = buf.asSlice((long) b * vocab * Float.BYTES, (long) vocab * Float.BYTES).toArray(ValueLayout.JAVA_FLOAT);
                        best = Sampler.argmax(step[b]);
                    } else {
                        best = buf.getAtIndex(ValueLayout.JAVA_INT, b);
                    }
                    int next = done[b] ? pad : best;
                    if (stopAtEos && eos.contains(next)) done[b] = true;
                    all &= done[b];
                    ids[b][1 + produced] = next;
                    feed[b] = next;
                }
                if (keepLogits) logits[produced] = step;
                produced++;
                if (stopAtEos && all) break;
            }
        }
        if (produced < maxNewTokens) {
            for (int b = 0; b < batch; b++) ids[b] = Arrays.copyOf(ids[b], 1 + produced);
            if (keepLogits) logits = Arrays.copyOf(logits, produced);
        }
        return new Result(ids, logits);
    }

    private void checkRoom(int maxNewTokens) {
        if (maxNewTokens < 0) throw new IllegalArgumentException("max new tokens " + maxNewTokens + " must be >= 0");
        int capacity = engine.kv().spec().capacity();
        if (maxNewTokens > capacity) {
            throw new IllegalArgumentException(maxNewTokens + " new tokens exceed the decoder cache of " + capacity + " tokens");
        }
    }
}
