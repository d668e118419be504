// Runs an encoder-decoder model (T5, Marian) on one device: weights resident once, a decoder
// self-attention KV cache of `slots` sequences, and one graph executor per shape bucket, built on
// first use and replayed. encode() runs the encoder once per request; its outputs — among them
// every decoder layer's cross-attention K/V — stay in the encoder executor's device memory, and
// the decoder graphs read them there (bound as external tensors), so they are computed once per
// request, never per decode step, and never copied to the host.
package dev.strata.engine.runtime;

import dev.strata.engine.backend.BufferView;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.exec.DeviceWeights;
import dev.strata.engine.exec.GraphExecutor;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.kv.KvCache;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.model.EncoderDecoderModel;
import dev.strata.engine.model.ForwardOptions;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.model.RelativePositionBuckets;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import dev.strata.loader.EncoderDecoderConfig;
import java.lang.foreign.Arena;
import java.util.HashMap;
import java.util.Map;

public final class Seq2SeqEngine implements AutoCloseable {
    private record EncoderBucket(int batch, int srcLen) {}

    private record DecoderBucket(int batch, int srcLen, int seqLen, ForwardOptions options) {}

    private final LoadedModel model;
    private final EncoderDecoderModel def;
    private final EncoderDecoderConfig c;
    private final ComputeDevice device;
    private final DeviceWeights weights;
    private final KvCache kv;
    private final Map<EncoderBucket, GraphExecutor> encoders = new HashMap<>();
    private final Map<DecoderBucket, GraphExecutor> decoders = new HashMap<>();
    /** The current request: its encoder executor (holding the cross K/V), batch, source length and padding mask. */
    private GraphExecutor encoder;
    private int batch, srcLen;
    private float[] mask;

    /** capacity: most target tokens per sequence (decoder prefix + generated), at most the model's position limit. */
    public Seq2SeqEngine(LoadedModel model, ComputeDevice device, int slots, int capacity) {
        this.model = model;
        this.def = model.encoderDecoder();
        this.c = def.encoderDecoder();
        if (capacity <= 0 || capacity > def.positionLimit()) {
            throw new IllegalArgumentException(capacity + " target tokens per sequence must be in [1, " + def.positionLimit() + "] (the model's positions)");
        }
        this.device = device;
        this.weights = new DeviceWeights(device, name -> model.weights().data(name));
        this.kv = new KvCache(device.allocateKv(new KvSpec(c.decoderLayers(), slots, capacity, c.decoderHeads(), c.headDim())));
    }

    public LoadedModel model() { return model; }

    public EncoderDecoderConfig config() { return c; }

    public ComputeDevice device() { return device; }

    public KvCache kv() { return kv; }

    /** The executor of the current request's encoder run (outputs hidden_states.{i}, cross_k.{l}, cross_v.{l}). */
    public GraphExecutor encoder() {
        if (encoder == null) throw new IllegalStateException("no source encoded yet; call encode() first");
        return encoder;
    }

    /**
     * Starts a request: encodes `lengths.length` sources, row b = tokens[b*srcLen .. b*srcLen + srcLen)
     * of which the first lengths[b] are real and the rest padding (masked out), and empties the
     * decoder cache. Sequence b then lives in KV slot b.
     */
    public GraphExecutor encode(int[] tokens, int[] lengths, int srcLen) {
        int n = lengths.length;
        if (n <= 0 || n > kv.spec().slots()) throw new IllegalArgumentException(n + " sources; expected 1 to " + kv.spec().slots());
        if (srcLen <= 0 || srcLen > def.positionLimit()) {
            throw new IllegalArgumentException("source of " + srcLen + " tokens; expected 1 to " + def.positionLimit() + " (the model's positions)");
        }
        if (tokens.length != n * srcLen) throw new IllegalArgumentException(tokens.length + " source tokens for " + n + " rows of " + srcLen + "; expected " + n * srcLen);
        checkVocab(tokens);
        float[] m = new float[n * srcLen];
        for (int b = 0; b < n; b++) {
            if (lengths[b] < 1 || lengths[b] > srcLen) throw new IllegalArgumentException("source " + b + " has length " + lengths[b] + "; expected 1 to " + srcLen);
            for (int i = lengths[b]; i < srcLen; i++) m[b * srcLen + i] = Float.NEGATIVE_INFINITY;
        }
        GraphExecutor ex = encoders.computeIfAbsent(new EncoderBucket(n, srcLen), k -> new GraphExecutor(def.buildEncoder(model, k.batch(), k.srcLen()), weights));
        this.encoder = null; // a failed run below may have overwritten the cross K/V of the current request
        try (Arena arena = Arena.ofConfined()) {
            int[] positions = new int[n * srcLen];
            for (int r = 0; r < positions.length; r++) positions[r] = r % srcLen;
            Map<String, HostTensor> in = new HashMap<>();
            in.put("tokens", ints(arena, tokens));
            in.put("positions", ints(arena, positions));
            in.put("mask", floats(arena, n, srcLen, m));
            in.put("past", ints(arena, new int[n]));
            in.put("slots", ints(arena, slotIds(n)));
            if (c.relativeBuckets() > 0) {
                in.put("position_buckets", ints(arena, RelativePositionBuckets.encoder(n, srcLen, c.relativeBuckets(), c.relativeMaxDistance())));
            }
            ex.run(in, null);
            device.synchronize();
        }
        for (int b = 0; b < n; b++) kv.reset(b);
        this.encoder = ex;
        this.batch = n;
        this.srcLen = srcLen;
        this.mask = m;
        return ex;
    }

    /**
     * Appends seqLen target tokens to every sequence of the current request and runs the decoder,
     * waiting for it. tokens: [batch * seqLen], sequence-major. Returns the executor whose outputs
     * hold the results.
     */
    public GraphExecutor step(int[] tokens, int seqLen, ForwardOptions options) {
        GraphExecutor ex = enqueue(tokens, null, seqLen, options);
        device.synchronize();
        return ex;
    }

    /**
     * The same without waiting, the tokens taken from the host (tokens) or from device memory
     * (fedTokens, I32 [batch * seqLen, 1], e.g. the previous step's drawn tokens in a TokenFeed),
     * exactly one of them: the caller reads the outputs (a read waits) or keeps them on the device
     * for the next step, whose host work then overlaps this step on the device.
     */
    public GraphExecutor enqueue(int[] tokens, BufferView fedTokens, int seqLen, ForwardOptions options) {
        GraphExecutor enc = encoder();
        if ((tokens == null) == (fedTokens == null)) throw new IllegalArgumentException("expected target tokens from the host or from the device, exactly one");
        int count = tokens != null ? tokens.length : fedTokens.rows();
        if (seqLen <= 0 || count != batch * seqLen) {
            throw new IllegalArgumentException(count + " target tokens for " + batch + " sequences of " + seqLen + "; expected " + batch * seqLen);
        }
        if (tokens != null) checkVocab(tokens);
        for (int b = 0; b < batch; b++) kv.ensureRoom(b, seqLen);
        int capacity = kv.spec().capacity();
        GraphExecutor ex = decoders.computeIfAbsent(new DecoderBucket(batch, srcLen, seqLen, options),
                k -> new GraphExecutor(def.buildDecoder(model, k.batch(), k.srcLen(), k.seqLen(), capacity, k.options()), weights));
        for (Map.Entry<String, Tensor> e : ex.graph().externals().entrySet()) ex.bind(e.getKey(), enc.view(enc.graph().output(e.getKey())));
        try (Arena arena = Arena.ofConfined()) {
            int[] past = new int[batch], positions = new int[batch * seqLen], last = new int[batch];
            for (int b = 0; b < batch; b++) {
                past[b] = kv.length(b);
                last[b] = b * seqLen + seqLen - 1;
                for (int i = 0; i < seqLen; i++) positions[b * seqLen + i] = past[b] + i;
            }
            Map<String, HostTensor> in = new HashMap<>();
            if (tokens != null) in.put("tokens", ints(arena, tokens));
            in.put("positions", ints(arena, positions));
            in.put("past", ints(arena, past));
            in.put("slots", ints(arena, slotIds(batch)));
            if (ex.graph().inputs().containsKey("last_rows")) in.put("last_rows", ints(arena, last));
            in.put("cross_mask", floats(arena, batch, srcLen, mask));
            if (c.relativeBuckets() > 0) {
                in.put("position_buckets", ints(arena, RelativePositionBuckets.decoder(past, seqLen, capacity, c.relativeBuckets(), c.relativeMaxDistance())));
            }
            ex.run(in, kv, fedTokens == null ? Map.of() : Map.of("tokens", fedTokens));
        }
        for (int b = 0; b < batch; b++) kv.advance(b, seqLen);
        return ex;
    }

    /** Empties the decoder cache of the current request's sequences, keeping the encoder output (a new decode over the same sources). */
    public void restartDecoder() {
        encoder();
        for (int b = 0; b < batch; b++) kv.reset(b);
    }

    /** Sequences in the current request. */
    public int batch() { return batch; }

    private void checkVocab(int[] tokens) {
        int vocab = c.vocabSize();
        for (int t : tokens) if (t < 0 || t >= vocab) throw new IllegalArgumentException("token id " + t + " outside the vocabulary [0, " + vocab + ")");
    }

    private static int[] slotIds(int n) {
        int[] s = new int[n];
        for (int b = 0; b < n; b++) s[b] = b;
        return s;
    }

    private static HostTensor ints(Arena arena, int[] v) {
        HostTensor h = HostTensor.allocate(arena, DType.I32, v.length, 1);
        for (int i = 0; i < v.length; i++) h.data().setAtIndex(HostTensor.I32, i, v[i]);
        return h;
    }

    private static HostTensor floats(Arena arena, int rows, int cols, float[] v) {
        HostTensor h = HostTensor.allocate(arena, DType.F32, rows, cols);
        for (int i = 0; i < v.length; i++) h.data().setAtIndex(HostTensor.F32, i, v[i]);
        return h;
    }

    @Override public void close() {
        encoders.values().forEach(GraphExecutor::close);
        decoders.values().forEach(GraphExecutor::close);
        encoders.clear();
        decoders.clear();
        kv.close();
        weights.close();
    }
}
