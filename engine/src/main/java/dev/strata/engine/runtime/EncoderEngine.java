// Runs an encoder model on one device: weights resident once, one graph executor per
// (batch, seqLen, hidden states) bucket, built on first use and replayed; the MAX_EXECUTORS most
// recently used are kept (each holds an activation arena). encode() takes a padded batch with
// its 0/1 attention mask and leaves the outputs readable until the next call. One caller at a
// time: encode is synchronized, and its outputs are overwritten by the next call.
package dev.strata.engine.runtime;

import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.exec.DeviceWeights;
import dev.strata.engine.exec.GraphExecutor;
import dev.strata.engine.model.EncoderModel;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import java.lang.foreign.Arena;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

public final class EncoderEngine implements AutoCloseable {
    /** Added to the attention score of a padded key: float32's most negative value, as HF and ONNX exports do. */
    public static final float MASKED = -Float.MAX_VALUE;

    private record Bucket(int batch, int seqLen, boolean hiddenStates) {}

    private final LoadedModel model;
    private final EncoderModel def;
    private final ComputeDevice device;
    private final DeviceWeights weights;
    /** Executors kept: enough for every batch × length bucket a steady workload cycles through. */
    static final int MAX_EXECUTORS = 16;

    private final Map<Bucket, GraphExecutor> executors = new LinkedHashMap<>(16, 0.75f, true) {
        @Override protected boolean removeEldestEntry(Map.Entry<Bucket, GraphExecutor> eldest) {
            if (size() <= MAX_EXECUTORS) return false;
            eldest.getValue().close();
            return true;
        }
    };

    public EncoderEngine(LoadedModel model, ComputeDevice device) {
        this.model = model;
        this.def = model.encoder();
        this.device = device;
        this.weights = new DeviceWeights(device, model::tensorData);
    }

    public LoadedModel model() { return model; }

    public ComputeDevice device() { return device; }

    public DeviceWeights weights() { return weights; }

    /**
     * Encodes `batch` sequences padded to seqLen. tokens, types, mask: [batch*seqLen], sequence-major;
     * mask is 1 at real tokens and 0 at padding (types may be null: all 0). Returns the executor
     * whose outputs hold the results.
     */
    public synchronized GraphExecutor encode(int[] tokens, int[] types, int[] mask, int batch, int seqLen, boolean hiddenStates) {
        check(tokens, types, mask, batch, seqLen);
        GraphExecutor ex = executors.computeIfAbsent(new Bucket(batch, seqLen, hiddenStates),
                b -> new GraphExecutor(def.build(model, b.batch(), b.seqLen(), b.hiddenStates()), weights));
        int rows = batch * seqLen;
        try (Arena arena = Arena.ofConfined()) {
            HostTensor tok = HostTensor.allocate(arena, DType.I32, rows, 1);
            HostTensor pos = HostTensor.allocate(arena, DType.I32, rows, 1);
            HostTensor typ = HostTensor.allocate(arena, DType.I32, rows, 1);
            HostTensor add = HostTensor.allocate(arena, DType.F32, batch, seqLen);
            HostTensor zeros = HostTensor.allocate(arena, DType.I32, batch, 1);
            HostTensor cls = HostTensor.allocate(arena, DType.I32, batch, 1);
            for (int r = 0; r < rows; r++) {
                tok.data().setAtIndex(HostTensor.I32, r, tokens[r]);
                pos.data().setAtIndex(HostTensor.I32, r, r % seqLen);
                typ.data().setAtIndex(HostTensor.I32, r, types == null ? 0 : types[r]);
                add.data().setAtIndex(HostTensor.F32, r, mask[r] == 1 ? 0f : MASKED);
            }
            for (int b = 0; b < batch; b++) cls.data().setAtIndex(HostTensor.I32, b, b * seqLen);
            Map<String, HostTensor> inputs = new HashMap<>(Map.of("tokens", tok, "positions", pos, "token_types", typ,
                    "mask", add, "past", zeros, "slots", zeros));
            if (def.hasPooler()) inputs.put("cls_rows", cls);
            ex.run(inputs, null);
            device.synchronize();
        }
        return ex;
    }

    private void check(int[] tokens, int[] types, int[] mask, int batch, int seqLen) {
        if (batch <= 0 || seqLen <= 0) throw new IllegalArgumentException("batch " + batch + " × seqLen " + seqLen + "; both must be positive");
        if (seqLen > def.maxPositions()) {
            throw new IllegalArgumentException(seqLen + " tokens exceed the model's " + def.maxPositions() + " positions; truncate the input");
        }
        int rows = batch * seqLen;
        if (tokens.length != rows || mask.length != rows || (types != null && types.length != rows)) {
            throw new IllegalArgumentException("tokens/types/mask must each hold batch × seqLen = " + rows + " values; got "
                    + tokens.length + "/" + (types == null ? "none" : types.length) + "/" + mask.length);
        }
        int vocab = model.config().vocabSize(), typeVocab = def.typeVocab();
        for (int r = 0; r < rows; r++) {
            if (tokens[r] < 0 || tokens[r] >= vocab) throw new IllegalArgumentException("token id " + tokens[r] + " at row " + r / seqLen + ", position " + r % seqLen + " outside the vocabulary [0, " + vocab + ")");
            if (types != null && (types[r] < 0 || types[r] >= typeVocab)) throw new IllegalArgumentException("token type " + types[r] + " outside [0, " + typeVocab + ")");
            if (mask[r] != 0 && mask[r] != 1) throw new IllegalArgumentException("attention mask value " + mask[r] + " at row " + r / seqLen + "; expected 0 or 1");
        }
        for (int b = 0; b < batch; b++) {
            boolean any = false;
            for (int i = 0; i < seqLen && !any; i++) any = mask[b * seqLen + i] == 1;
            if (!any) throw new IllegalArgumentException("sequence " + b + " is entirely padding; expected at least one token with attention mask 1");
        }
    }

    @Override public synchronized void close() {
        executors.values().forEach(GraphExecutor::close);
        executors.clear();
        weights.close();
    }
}
