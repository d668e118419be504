// Text generation for one sequence on a DecoderEngine: prefill the prompt, then decode token by
// token, streaming each token to a listener, stopping on EOS / stop ids / max tokens. Each token
// is drawn on the device by the Sample op (greedy at temperature 0), so a step copies 4 bytes off
// the device, not a row of logits; draw k uses (seed, step k), as Sampler does on the host.
// Decoding is pipelined (TokenFeed): step k + 1 is enqueued, reading token k on the device,
// before the host waits for token k, so the host's work per step overlaps the device's. A stop
// found in token k leaves step k + 1 run for nothing; its KV row is dropped. A device without the
// op (DecoderEngine.samplesOnDevice) gets the same draws from Sampler on the logits it copies
// back, one step at a time.
// Reports prompt and generation speed.
package dev.strata.engine.runtime;

import dev.strata.engine.model.ForwardOptions;
import dev.strata.engine.ops.Sample;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

public final class Generator {
    /** Receives each generated token as soon as it is chosen; return false to cancel. */
    @FunctionalInterface
    public interface TokenListener { boolean onToken(int token); }

    public enum StopReason { MAX_TOKENS, EOS, STOP_TOKEN, CANCELLED }

    public record Result(List<Integer> tokens, StopReason stop, int promptTokens, long prefillNanos, long decodeNanos) {
        public double promptTokensPerSecond() { return prefillNanos == 0 ? 0 : promptTokens * 1e9 / prefillNanos; }

        /** Decode speed over the tokens produced by decode steps (the first comes from prefill). */
        public double generationTokensPerSecond() { return tokens.size() <= 1 || decodeNanos == 0 ? 0 : (tokens.size() - 1) * 1e9 / decodeNanos; }
    }

    private final DecoderEngine engine;

    /** Why generation stops after `next` (MAX_TOKENS: it goes on); the listener sees every token first. */
    private static StopReason stopReason(int next, TokenListener listener, Set<Integer> eos, Set<Integer> stops) {
        if (!listener.onToken(next)) return StopReason.CANCELLED;
        if (eos.contains(next)) return StopReason.EOS;
        if (stops.contains(next)) return StopReason.STOP_TOKEN;
        return StopReason.MAX_TOKENS;
    }

    public Generator(DecoderEngine engine) { this.engine = engine; }

    public Result generate(int[] prompt, SamplingParams params, TokenListener listener) {
        if (prompt.length == 0) throw new IllegalArgumentException("prompt is empty; expected at least one token");
        int capacity = engine.kv().spec().capacity();
        if (prompt.length + params.maxTokens() > capacity) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens + " + params.maxTokens()
                    + " new tokens exceeds the context of " + capacity + " tokens");
        }
        Set<Integer> eos = new HashSet<>(params.stopOnEos() ? engine.model().eosTokenIds() : List.of());
        Set<Integer> stops = new HashSet<>(params.stopTokenIds());
        int[] sampling = new int[Sample.PARAMS];
        int[] slot = {0};
        engine.kv().reset(0);
        List<Integer> out = new ArrayList<>();
        long t0 = System.nanoTime();
        long prefill = 0;
        StopReason reason = StopReason.MAX_TOKENS;
        boolean onDevice = engine.samplesOnDevice();
        Sampler host = onDevice ? null : new Sampler(params);
        int vocab = engine.model().config().vocabSize();
        if (!onDevice) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate((long) vocab * Float.BYTES, 64);
                int[] feed = prompt;
                while (out.size() < params.maxTokens()) {
                    engine.step(feed, slot, feed.length, ForwardOptions.GENERATE).readInto("logits", buf);
                    int next = host.sample(buf.toArray(ValueLayout.JAVA_FLOAT));
                    if (prefill == 0) prefill = System.nanoTime() - t0;
                    out.add(next);
                    reason = stopReason(next, listener, eos, stops);
                    if (reason != StopReason.MAX_TOKENS) break;
                    feed = new int[] {next};
                }
            }
        } else if (params.maxTokens() > 0) { // pipelined
            try (TokenFeed feed = new TokenFeed(engine.device(), 1, params.maxTokens())) {
                params.pack(0, sampling, 0);
                feed.keep(engine.enqueue(prompt, null, slot, prompt.length, ForwardOptions.SAMPLE, sampling), 0);
                for (int k = 0; k < params.maxTokens(); k++) {
                    if (k + 1 < params.maxTokens()) { // step k + 1 reads token k on the device, before the host has it
                        params.pack(k + 1, sampling, 0);
                        feed.keep(engine.enqueue(null, feed.tokens(k), slot, 1, ForwardOptions.SAMPLE, sampling), k + 1);
                    }
                    int next = feed.await(k)[0];
                    if (prefill == 0) prefill = System.nanoTime() - t0;
                    out.add(next);
                    reason = stopReason(next, listener, eos, stops);
                    if (reason != StopReason.MAX_TOKENS) break;
                }
            }
            engine.kv().truncate(0, prompt.length + out.size() - 1); // the KV rows of the tokens fed: prompt and all but the last drawn
        }
        long total = System.nanoTime() - t0;
        return new Result(List.copyOf(out), reason, prompt.length, prefill, Math.max(0, total - prefill));
    }
}
