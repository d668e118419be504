// Runs a decoder model on one device: weights resident once, a KV cache of `slots` sequences,
// and one graph executor per (batch, seqLen, options) bucket, built on first use and replayed.
// step() feeds new tokens for some sequences and leaves the outputs readable until the next step;
// enqueue() is the same step without the wait, its tokens from the host or from device memory
// (pipelined generation, TokenFeed).
package dev.strata.engine.runtime;

import dev.strata.engine.backend.BufferView;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.exec.DeviceWeights;
import dev.strata.engine.exec.GraphExecutor;
import dev.strata.engine.graph.Graph;
import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.kv.KvCache;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.model.DecoderModel;
import dev.strata.engine.model.ForwardOptions;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.ops.Sample;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;

public final class DecoderEngine implements AutoCloseable {
    private record Bucket(int batch, int seqLen, ForwardOptions options) {}

    private final LoadedModel model;
    private final DecoderModel def;
    private final ComputeDevice device;
    private final DeviceWeights weights;
    private final KvCache kv;
    private final Map<Bucket, GraphExecutor> executors = new HashMap<>();
    private Boolean samplesOnDevice;

    /** capacity: most tokens per sequence (prompt + generated), at most the model's context limit. */
    public DecoderEngine(LoadedModel model, ComputeDevice device, int slots, int capacity) {
        this.model = model;
        this.def = model.definition();
        if (capacity > def.contextLimit()) {
            throw new IllegalArgumentException(capacity + " tokens per sequence exceed the model's context of " + def.contextLimit());
        }
        this.device = device;
        this.weights = new DeviceWeights(device, name -> model.weights().data(name));
        this.kv = new KvCache(device.allocateKv(new KvSpec(model.config().numLayers(), slots, capacity, def.kvHeads(), def.headDim())));
    }

    public LoadedModel model() { return model; }

    public ComputeDevice device() { return device; }

    public KvCache kv() { return kv; }

    public DeviceWeights weights() { return weights; }

    /**
     * Appends seqLen tokens to each of the given sequences (slots) and runs the model.
     * tokens: [slots.length * seqLen], sequence-major. Returns the executor whose outputs hold the results.
     */
    public GraphExecutor step(int[] tokens, int[] slots, int seqLen, ForwardOptions options) {
        return step(tokens, slots, seqLen, options, null);
    }

    /**
     * The same, with the Sample op's params when options draw the next token on the device:
     * sampling = one packed row (SamplingParams.pack) per logits row, [logitsRows * Sample.PARAMS]
     * (logits rows = batch, or batch * seqLen with allLogits); null otherwise. The drawn tokens are
     * the executor's output "next_token".
     */
    public GraphExecutor step(int[] tokens, int[] slots, int seqLen, ForwardOptions options, int[] sampling) {
        GraphExecutor ex = enqueue(tokens, null, slots, seqLen, options, sampling);
        device.synchronize();
        return ex;
    }

    /**
     * The same step, enqueued without waiting for it: the caller reads its outputs by a later wait
     * (read, ComputeDevice.readLater's await, synchronize). The tokens come from the host
     * (tokens, fedTokens null) or from device memory (fedTokens: I32 [slots.length * seqLen, 1],
     * typically the previous step's drawn tokens, tokens null), so a generation loop can enqueue
     * step i + 1 before it has read token i. At most one step may be in flight beyond the last
     * completed wait (the executor's two input stagings).
     */
    public GraphExecutor enqueue(int[] tokens, BufferView fedTokens, int[] slots, int seqLen, ForwardOptions options, int[] sampling) {
        int batch = slots.length;
        if ((tokens == null) == (fedTokens == null)) throw new IllegalArgumentException("expected tokens from the host or from the device, exactly one");
        int count = tokens != null ? tokens.length : fedTokens.rows();
        if (count != batch * seqLen) {
            throw new IllegalArgumentException(count + " tokens for " + batch + " sequences of " + seqLen + "; expected " + batch * seqLen);
        }
        int logitsRows = options.allLogits() ? batch * seqLen : batch;
        checkSampling(sampling, options, logitsRows);
        int vocab = model.config().vocabSize();
        if (tokens != null) {
            for (int t : tokens) if (t < 0 || t >= vocab) throw new IllegalArgumentException("token id " + t + " outside the vocabulary [0, " + vocab + ")");
        }
        for (int s : slots) {
            if (s < 0 || s >= kv.spec().slots()) throw new IllegalArgumentException("slot " + s + " outside [0, " + kv.spec().slots() + ")");
            kv.ensureRoom(s, seqLen);
        }
        GraphExecutor ex = executors.computeIfAbsent(new Bucket(batch, seqLen, options), this::compile);
        try (Arena arena = Arena.ofConfined()) {
            HostTensor pos = HostTensor.allocate(arena, DType.I32, count, 1);
            HostTensor past = HostTensor.allocate(arena, DType.I32, batch, 1);
            HostTensor slotT = HostTensor.allocate(arena, DType.I32, batch, 1);
            HostTensor last = HostTensor.allocate(arena, DType.I32, batch, 1);
            for (int b = 0; b < batch; b++) {
                int p0 = kv.length(slots[b]);
                past.data().setAtIndex(HostTensor.I32, b, p0);
                slotT.data().setAtIndex(HostTensor.I32, b, slots[b]);
                last.data().setAtIndex(HostTensor.I32, b, b * seqLen + seqLen - 1);
                for (int i = 0; i < seqLen; i++) pos.data().setAtIndex(HostTensor.I32, b * seqLen + i, p0 + i);
            }
            Map<String, HostTensor> inputs = new HashMap<>(Map.of("positions", pos, "past", past, "slots", slotT));
            if (tokens != null) { // else fed on the device: no host copy
                HostTensor tok = HostTensor.allocate(arena, DType.I32, count, 1);
                MemorySegment.copy(tokens, 0, tok.data(), ValueLayout.JAVA_INT, 0, count);
                inputs.put("tokens", tok);
            }
            if (ex.graph().inputs().containsKey("last_rows")) inputs.put("last_rows", last);
            if (sampling != null) {
                HostTensor params = HostTensor.allocate(arena, DType.I32, logitsRows, Sample.PARAMS);
                MemorySegment.copy(sampling, 0, params.data(), ValueLayout.JAVA_INT, 0, sampling.length);
                inputs.put("sampling", params);
            }
            ex.run(inputs, kv, fedTokens == null ? Map.of() : Map.of("tokens", fedTokens));
        }
        for (int s : slots) kv.advance(s, seqLen);
        return ex;
    }

    /** Sampling rows are present exactly when the options draw on the device, one well-formed row per logits row. */
    private static void checkSampling(int[] sampling, ForwardOptions options, int logitsRows) {
        boolean wanted = options.nextToken() == ForwardOptions.NextToken.SAMPLE;
        if (!wanted) {
            if (sampling != null) throw new IllegalArgumentException("sampling params given, but the options do not sample (nextToken " + options.nextToken() + ")");
            return;
        }
        if (sampling == null || sampling.length != logitsRows * Sample.PARAMS) {
            throw new IllegalArgumentException("sampling params of " + (sampling == null ? "null" : sampling.length + " ints") + "; expected "
                    + logitsRows + " rows of " + Sample.PARAMS + " (SamplingParams.pack)");
        }
        for (int r = 0; r < logitsRows; r++) {
            try {
                SamplingParams.unpack(sampling, r * Sample.PARAMS);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("sampling row " + r + ": " + e.getMessage(), e);
            }
        }
    }

    private GraphExecutor compile(Bucket b) {
        Graph g = def.build(model, b.batch(), b.seqLen(), b.options());
        return new GraphExecutor(g, weights);
    }

    /**
     * Whether the device runs the Sample op (OpenCL needs 64-bit local atomics); asked once with a
     * one-row probe. Generator draws on the host from the logits where it does not.
     */
    public boolean samplesOnDevice() {
        if (samplesOnDevice == null) {
            GraphBuilder g = new GraphBuilder(model);
            g.output("next_token", g.sample(g.input("logits", DType.F32, 1, model.config().vocabSize()),
                    g.input("sampling", DType.I32, 1, Sample.PARAMS), "next_token"));
            samplesOnDevice = g.build().nodes().stream().allMatch(n -> device.supports(n.op()).supported());
        }
        return samplesOnDevice;
    }

    /** Peak activation bytes of the largest graph built so far. */
    public long peakActivationBytes() {
        return executors.values().stream().mapToLong(e -> e.plan().peakBytes()).max().orElse(0);
    }

    @Override public void close() {
        executors.values().forEach(GraphExecutor::close);
        executors.clear();
        kv.close();
        weights.close();
    }
}
