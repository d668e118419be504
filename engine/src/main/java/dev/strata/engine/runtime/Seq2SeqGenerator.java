// Greedy generation for encoder-decoder models on a Seq2SeqEngine: encode the sources once, then
// feed the decoder start token and each chosen token through the KV-cached decoder, one step for
// the whole batch at a time. Optionally stops once every row has produced an EOS token (finished
// rows are then continued with the pad token, as transformers does). Without kept logits the
// steps are pipelined (TokenFeed, as Generator): step k + 1 is enqueued, reading step k's argmax
// on the device, before the host waits for those tokens, so only 4 bytes per row come back and
// the host's work per step overlaps the device's.
package dev.strata.engine.runtime;

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
        int start = engine.config().decoderStartTokenId();
        int[][] ids = new int[batch][1 + maxNewTokens];
        for (int b = 0; b < batch; b++) ids[b][0] = start;
        float[][][] logits = new float[keepLogits ? maxNewTokens : 0][][];
        Rows rows = new Rows(ids, stopAtEos);
        int[] first = rows.fed(0);
        int produced = 0;
        if (keepLogits) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate((long) batch * vocab * Float.BYTES, 64);
                int[] feed = first, best = new int[batch];
                while (produced < maxNewTokens) {
                    engine.step(feed, 1, ForwardOptions.GENERATE).readInto("logits", buf);
                    float[][] step = new float[batch][];
                    for (int b = 0; b < batch; b++) {
                        step[b] = buf.asSlice((long) b * vocab * Float.BYTES, (long) vocab * Float.BYTES).toArray(ValueLayout.JAVA_FLOAT);
                        best[b] = Sampler.argmax(step[b]);
                    }
                    logits[produced] = step;
                    boolean all = rows.record(produced++, best);
                    feed = rows.fed(produced);
                    if (stopAtEos && all) break;
                }
            }
        } else if (maxNewTokens > 0) { // pipelined: step k + 1 reads step k's argmax on the device, before the host has it
            try (TokenFeed feed = new TokenFeed(engine.device(), batch, maxNewTokens)) {
                feed.keep(engine.enqueue(first, null, 1, ForwardOptions.ARGMAX), 0);
                while (produced < maxNewTokens) {
                    if (produced + 1 < maxNewTokens) feed.keep(engine.enqueue(null, feed.tokens(produced), 1, ForwardOptions.ARGMAX), produced + 1);
                    boolean all = rows.record(produced, feed.await(produced));
                    produced++;
                    if (stopAtEos && all) break;
                }
            }
            for (int b = 0; b < batch; b++) engine.kv().truncate(b, produced); // drops the row of a step enqueued past the stop
        }
        if (produced < maxNewTokens) {
            for (int b = 0; b < batch; b++) ids[b] = Arrays.copyOf(ids[b], 1 + produced);
            if (keepLogits) logits = Arrays.copyOf(logits, produced);
        }
        return new Result(ids, logits);
    }

    /**
     * The generated ids of every row: a row that has produced an EOS token (with stopAtEos) is
     * done, and its later ids are the pad token, as transformers does. Pipelined decoding feeds a
     * done row its own argmax instead of the pad token: rows do not interact, and a done row's ids
     * are pad whatever its decoder computes.
     */
    private final class Rows {
        final int[][] ids;
        final boolean stopAtEos;
        final boolean[] done;
        final List<Integer> eos = engine.model().eosTokenIds();
        final int pad = engine.config().padTokenId() == null ? 0 : engine.config().padTokenId();

        Rows(int[][] ids, boolean stopAtEos) {
            this.ids = ids;
            this.stopAtEos = stopAtEos;
            this.done = new boolean[ids.length];
        }

        /** Records token `step` + 1 of every row from the step's argmax; true when every row is done. */
        boolean record(int step, int[] best) {
            boolean all = true;
            for (int b = 0; b < ids.length; b++) {
                int next = done[b] ? pad : best[b];
                if (stopAtEos && eos.contains(next)) done[b] = true;
                all &= done[b];
                ids[b][1 + step] = next;
            }
            return all;
        }

        /** The tokens the step after `produced` tokens reads: each row's last id. */
        int[] fed(int produced) {
            int[] f = new int[ids.length];
            for (int b = 0; b < ids.length; b++) f[b] = ids[b][produced];
            return f;
        }
    }

    private void checkRoom(int maxNewTokens) {
        if (maxNewTokens < 0) throw new IllegalArgumentException("max new tokens " + maxNewTokens + " must be >= 0");
        int capacity = engine.kv().spec().capacity();
        if (maxNewTokens > capacity) {
            throw new IllegalArgumentException(maxNewTokens + " new tokens exceed the decoder cache of " + capacity + " tokens");
        }
    }
}
