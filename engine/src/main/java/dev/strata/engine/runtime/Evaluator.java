// The `strata eval` computation for decoders: one forward pass over input_ids [batch, seq]
// returning logits and HF-style hidden states, then optionally N greedy KV-cached steps
// returning generated_ids and generated_logits. Everything comes back as host tensors named
// as in ../shared/fixtures.
package dev.strata.engine.runtime;

import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.exec.GraphExecutor;
import dev.strata.engine.model.ForwardOptions;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

public final class Evaluator {
    private Evaluator() {}

    /**
     * inputIds: I64 or I32 [batch, seq]; attentionMask: same shape or null (decoders accept only
     * an all-ones mask: padded decoder batches are rejected). Output tensors live in `arena`.
     */
    public static Map<String, HostTensor> evaluateDecoder(LoadedModel model, ComputeDevice device, HostTensor inputIds,
                                                          HostTensor attentionMask, int generate, Arena arena) {
        if (inputIds.rank() != 2 || inputIds.dim(0) <= 0 || inputIds.dim(1) <= 0) {
            throw new IllegalArgumentException("input_ids is " + inputIds + "; expected I64 [batch, seq] with batch, seq > 0");
        }
        if (generate < 0) throw new IllegalArgumentException("--generate " + generate + " must be >= 0");
        int batch = Math.toIntExact(inputIds.dim(0)), seq = Math.toIntExact(inputIds.dim(1));
        if (attentionMask != null) checkUnpadded(attentionMask, batch, seq);
        int[] tokens = new int[batch * seq];
        for (int i = 0; i < tokens.length; i++) tokens[i] = Math.toIntExact(inputIds.getLong(i));
        int capacity = seq + generate;
        int limit = model.definition().contextLimit();
        if (capacity > limit) {
            throw new IllegalArgumentException(seq + " prompt tokens + " + generate + " generated exceed the model's context of " + limit);
        }
        int vocab = model.config().vocabSize(), hidden = model.config().hiddenSize();
        int[] slots = new int[batch];
        for (int b = 0; b < batch; b++) slots[b] = b;
        Map<String, HostTensor> out = new LinkedHashMap<>();
        try (DecoderEngine engine = new DecoderEngine(model, device, batch, capacity)) {
            GraphExecutor ex = engine.step(tokens, slots, seq, ForwardOptions.EVAL);
            HostTensor logits = HostTensor.allocate(arena, DType.F32, batch, seq, vocab);
            ex.readInto("logits", logits.data());
            out.put("logits", logits);
            for (int i = 0; i <= model.config().numLayers(); i++) {
                HostTensor h = HostTensor.allocate(arena, DType.F32, batch, seq, hidden);
                ex.readInto("hidden_states." + i, h.data());
                out.put("hidden_states." + i, h);
            }
            if (generate > 0) generate(engine, logits, tokens, batch, seq, generate, vocab, slots, arena, out);
        }
        return out;
    }

    private static void generate(DecoderEngine engine, HostTensor promptLogits, int[] tokens, int batch, int seq, int n, int vocab,
                                 int[] slots, Arena arena, Map<String, HostTensor> out) {
        HostTensor ids = HostTensor.allocate(arena, DType.I64, batch, seq + n);
        HostTensor genLogits = HostTensor.allocate(arena, DType.F32, batch, n, vocab);
        long rowBytes = (long) vocab * Float.BYTES;
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < seq; i++) ids.data().setAtIndex(HostTensor.I64, (long) b * (seq + n) + i, tokens[b * seq + i]);
            MemorySegment.copy(promptLogits.data(), ((long) b * seq + seq - 1) * rowBytes, genLogits.data(), (long) b * n * rowBytes, rowBytes);
        }
        int[] next = new int[batch];
        for (int step = 0; step < n; step++) {
            for (int b = 0; b < batch; b++) {
                MemorySegment row = genLogits.data().asSlice(((long) b * n + step) * rowBytes, rowBytes);
                next[b] = Sampler.argmax(row.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT));
                ids.data().setAtIndex(HostTensor.I64, (long) b * (seq + n) + seq + step, next[b]);
            }
            if (step == n - 1) break;
            GraphExecutor ex = engine.step(next.clone(), slots, 1, ForwardOptions.GENERATE);
            try (Arena tmp = Arena.ofConfined()) {
                MemorySegment all = tmp.allocate(batch * rowBytes, 64);
                ex.readInto("logits", all);
                for (int b = 0; b < batch; b++) {
                    MemorySegment.copy(all, b * rowBytes, genLogits.data(), ((long) b * n + step + 1) * rowBytes, rowBytes);
                }
            }
        }
        out.put("generated_ids", ids);
        out.put("generated_logits", genLogits);
    }

    private static void checkUnpadded(HostTensor mask, int batch, int seq) {
        if (mask.rank() != 2 || mask.dim(0) != batch || mask.dim(1) != seq) {
            throw new IllegalArgumentException("attention_mask is " + mask + "; expected [" + batch + ", " + seq + "] like input_ids");
        }
        for (long i = 0; i < mask.elementCount(); i++) {
            if (mask.getDouble(i) != 1) {
                throw new IllegalArgumentException("attention_mask has padding at row " + i / seq + ", position " + i % seq
                        + "; padded batches are not supported for decoder models yet: pass sequences of equal length");
            }
        }
    }
}
