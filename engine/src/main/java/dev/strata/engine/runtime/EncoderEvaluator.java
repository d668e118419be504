// The `strata eval` computation for encoders: one forward pass over input_ids [batch, seq]
// with attention_mask (padding anywhere) and token_type_ids, returning last_hidden_state,
// hidden_states.{i}, pooler_output (models with a pooler), logits (classifiers) and
// mean_pooled (mask-weighted mean, unnormalised), named as in ../shared/fixtures.
package dev.strata.engine.runtime;

import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.exec.GraphExecutor;
import dev.strata.engine.model.EncoderModel;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

public final class EncoderEvaluator {
    private EncoderEvaluator() {}

    /** inputIds: I64/I32 [batch, seq]; attentionMask, tokenTypeIds: same shape or null (all 1 / all 0). */
    public static Map<String, HostTensor> evaluate(LoadedModel model, ComputeDevice device, HostTensor inputIds, HostTensor attentionMask,
                                                   HostTensor tokenTypeIds, Arena arena) {
        if (inputIds.rank() != 2 || inputIds.dim(0) <= 0 || inputIds.dim(1) <= 0) {
            throw new IllegalArgumentException("input_ids is " + inputIds + "; expected I64 [batch, seq] with batch, seq > 0");
        }
        int batch = Math.toIntExact(inputIds.dim(0)), seq = Math.toIntExact(inputIds.dim(1));
        int[] tokens = ints(inputIds, "input_ids", batch, seq);
        int[] mask = attentionMask == null ? filled(batch * seq, 1) : ints(attentionMask, "attention_mask", batch, seq);
        int[] types = tokenTypeIds == null ? null : ints(tokenTypeIds, "token_type_ids", batch, seq);
        EncoderModel def = model.encoder();
        int hidden = model.config().hiddenSize();
        Map<String, HostTensor> out = new LinkedHashMap<>();
        try (EncoderEngine engine = new EncoderEngine(model, device)) {
            GraphExecutor ex = engine.encode(tokens, types, mask, batch, seq, true);
            HostTensor last = read(ex, "last_hidden_state", arena, batch, seq, hidden);
            out.put("last_hidden_state", last);
            for (int i = 0; i <= model.config().numLayers(); i++) out.put("hidden_states." + i, read(ex, "hidden_states." + i, arena, batch, seq, hidden));
            if (def.hasPooler()) out.put("pooler_output", read(ex, "pooler_output", arena, batch, hidden));
            if (def.labels() > 0) out.put("logits", read(ex, "logits", arena, batch, def.labels()));
            HostTensor mean = HostTensor.allocate(arena, DType.F32, batch, hidden);
            for (int b = 0; b < batch; b++) {
                float[] e = Pooling.MEAN.pool(last.data(), mask, b, seq, hidden, false);
                mean.data().asSlice((long) b * hidden * Float.BYTES, (long) hidden * Float.BYTES).copyFrom(MemorySegment.ofArray(e));
            }
            out.put("mean_pooled", mean);
        }
        return out;
    }

    private static HostTensor read(GraphExecutor ex, String name, Arena arena, long... shape) {
        HostTensor t = HostTensor.allocate(arena, DType.F32, shape);
        ex.readInto(name, t.data());
        return t;
    }

    private static int[] ints(HostTensor t, String name, int batch, int seq) {
        if (t.rank() != 2 || t.dim(0) != batch || t.dim(1) != seq) {
            throw new IllegalArgumentException(name + " is " + t + "; expected [" + batch + ", " + seq + "] like input_ids");
        }
        int[] out = new int[batch * seq];
        for (int i = 0; i < out.length; i++) {
            long v = t.getLong(i);
            if (v != (int) v) throw new IllegalArgumentException(name + " value " + v + " at index " + i + " does not fit in 32 bits");
            out[i] = (int) v;
        }
        return out;
    }

    private static int[] filled(int n, int v) {
        int[] a = new int[n];
        Arrays.fill(a, v);
        return a;
    }
}
