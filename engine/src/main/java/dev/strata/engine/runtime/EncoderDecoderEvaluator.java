// The `strata eval` computation for encoder-decoders (T5, Marian): the encoder over input_ids
// (attention_mask marks padding), one teacher-forced decoder pass over decoder_input_ids, and
// optionally N greedy KV-cached steps from the decoder start token over the same encoder output
// (the encoder runs once). Outputs are host tensors named
// as in ../shared/fixtures: logits [b, t, vocab], encoder_last_hidden_state and
// encoder_hidden_states.{i} [b, s, d], decoder_hidden_states.{i} [b, t, d], generated_ids
// [b, 1+N] and generated_logits [b, N, vocab].
package dev.strata.engine.runtime;

import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.exec.GraphExecutor;
import dev.strata.engine.model.ForwardOptions;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import dev.strata.loader.EncoderDecoderConfig;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;

public final class EncoderDecoderEvaluator {
    private EncoderDecoderEvaluator() {}

    /**
     * inputIds: I64/I32 [batch, srcLen]; attentionMask: same shape, each row ones then zeros (or null:
     * no padding); decoderInputIds: [batch, tgtLen] or null (then one decoder start token per row).
     */
    public static Map<String, HostTensor> evaluate(LoadedModel model, ComputeDevice device, HostTensor inputIds, HostTensor attentionMask,
                                                   HostTensor decoderInputIds, int generate, Arena arena) {
        if (inputIds.rank() != 2 || inputIds.dim(0) <= 0 || inputIds.dim(1) <= 0) {
            throw new IllegalArgumentException("input_ids is " + inputIds + "; expected I64 [batch, seq] with batch, seq > 0");
        }
        if (generate < 0) throw new IllegalArgumentException("--generate " + generate + " must be >= 0");
        EncoderDecoderConfig c = model.encoderDecoder().encoderDecoder();
        int batch = Math.toIntExact(inputIds.dim(0)), srcLen = Math.toIntExact(inputIds.dim(1));
        int[] src = ints(inputIds);
        int[] lengths = lengths(attentionMask, batch, srcLen);
        int[] tgt;
        int tgtLen;
        if (decoderInputIds == null) {
            tgtLen = 1;
            tgt = new int[batch];
            java.util.Arrays.fill(tgt, c.decoderStartTokenId());
        } else {
            if (decoderInputIds.rank() != 2 || decoderInputIds.dim(0) != batch || decoderInputIds.dim(1) <= 0) {
                throw new IllegalArgumentException("decoder_input_ids is " + decoderInputIds + "; expected [" + batch + ", seq] with seq > 0");
            }
            tgtLen = Math.toIntExact(decoderInputIds.dim(1));
            tgt = ints(decoderInputIds);
        }
        int limit = model.encoderDecoder().positionLimit();
        if (tgtLen > limit || generate > limit) {
            throw new IllegalArgumentException("decoder length " + Math.max(tgtLen, generate) + " exceeds the model's " + limit + " positions");
        }
        int d = c.dModel(), vocab = c.vocabSize();
        Map<String, HostTensor> out = new LinkedHashMap<>();
        try (Seq2SeqEngine engine = new Seq2SeqEngine(model, device, batch, Math.max(tgtLen, Math.max(generate, 1)))) {
            GraphExecutor enc = engine.encode(src, lengths, srcLen);
            for (int i = 0; i <= c.encoderLayers(); i++) {
                HostTensor h = HostTensor.allocate(arena, DType.F32, batch, srcLen, d);
                enc.readInto("hidden_states." + i, h.data());
                out.put("encoder_hidden_states." + i, h);
                if (i == c.encoderLayers()) out.put("encoder_last_hidden_state", h);
            }
            GraphExecutor dec = engine.step(tgt, tgtLen, ForwardOptions.EVAL);
            HostTensor logits = HostTensor.allocate(arena, DType.F32, batch, tgtLen, vocab);
            dec.readInto("logits", logits.data());
            out.put("logits", logits);
            for (int i = 0; i <= c.decoderLayers(); i++) {
                HostTensor h = HostTensor.allocate(arena, DType.F32, batch, tgtLen, d);
                dec.readInto("hidden_states." + i, h.data());
                out.put("decoder_hidden_states." + i, h);
            }
            if (generate > 0) {
                Seq2SeqGenerator.Result r = new Seq2SeqGenerator(engine).decode(generate, true, false);
                HostTensor ids = HostTensor.allocate(arena, DType.I64, batch, generate + 1);
                HostTensor genLogits = HostTensor.allocate(arena, DType.F32, batch, generate, vocab);
                for (int b = 0; b < batch; b++) {
                    for (int i = 0; i <= generate; i++) ids.data().setAtIndex(HostTensor.I64, (long) b * (generate + 1) + i, r.ids()[b][i]);
                    for (int s = 0; s < generate; s++) {
                        MemorySegment.copy(r.logits()[s][b], 0, genLogits.data(), ValueLayout.JAVA_FLOAT_UNALIGNED, ((long) b * generate + s) * vocab * Float.BYTES, vocab);
                    }
                }
                out.put("generated_ids", ids);
                out.put("generated_logits", genLogits);
            }
        }
        return out;
    }

    private static int[] ints(HostTensor t) {
        int[] v = new int[Math.toIntExact(t.elementCount())];
        for (int i = 0; i < v.length; i++) v[i] = Math.toIntExact(t.getLong(i));
        return v;
    }

    /** Real tokens per row from a mask of ones followed by zeros (all of srcLen without a mask). */
    private static int[] lengths(HostTensor mask, int batch, int srcLen) {
        int[] len = new int[batch];
        if (mask == null) {
            java.util.Arrays.fill(len, srcLen);
            return len;
        }
        if (mask.rank() != 2 || mask.dim(0) != batch || mask.dim(1) != srcLen) {
            throw new IllegalArgumentException("attention_mask is " + mask + "; expected [" + batch + ", " + srcLen + "] like input_ids");
        }
        for (int b = 0; b < batch; b++) {
            int n = 0;
            while (n < srcLen && mask.getDouble((long) b * srcLen + n) == 1) n++;
            for (int i = n; i < srcLen; i++) {
                if (mask.getDouble((long) b * srcLen + i) != 0) {
                    throw new IllegalArgumentException("attention_mask row " + b + " is not ones followed by zeros (value " + mask.getDouble((long) b * srcLen + i)
                            + " at position " + i + "); only right padding is supported");
                }
            }
            if (n == 0) throw new IllegalArgumentException("attention_mask row " + b + " masks every token; expected at least one 1");
            len[b] = n;
        }
        return len;
    }
}
