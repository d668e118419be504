// Conformance of fused attention on every backend and mode: MHA, GQA (2, 4 and 8 query heads per KV
// head) and MQA (4, 8 and 12 query heads: more than one OpenCL work-group's 8); head dims 8, 64,
// 128 and 256; causal and not; additive padding masks with -inf, 0 and finite entries; uncached
// (cacheLayer -1, keys are the k/v inputs) and cached over two steps (prefill at past 0, then
// decode or a chunk at past = the prefill length, into layer 1 of a KvCache, sequences in swapped
// slots), where the reference attends over the concatenated keys of both steps, and a second
// step of 11 rows (a chunked prefill over a cached prefix); a ragged cached batch (sequences at
// different past lengths in one step); seqLen 70 (past any 64-key tile); q/k/v as column views of
// one fused projection. Steps of more than 8 query rows take OpenCL's flash-style prefill kernel.
//
// The reference is plain double math written here. Besides the contract limit, each result
// must meet flash-attention's rule: NMSE at most ATTENTION_FA_FACTOR × that of a plain float
// implementation (also written here), with a floor. A query that sees no key with a finite
// score (fully padded) gets 0, as both CPU kernels define it.
package dev.strata.tests.ops;

import dev.strata.engine.graph.Tensor;
import dev.strata.engine.kv.KvCache;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.ops.AttentionSpec;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AttentionConformanceTest {
    /** Head geometry; batch and seqLen of the uncached run; seqLen of the cached second step. */
    record Heads(String name, int heads, int kvHeads, int headDim, int batch, int seqLen, int stepTwo) {
        @Override public String toString() { return name + " " + heads + "/" + kvHeads + "×" + headDim; }
    }

    static final List<Heads> HEADS = List.of(
            new Heads("mha", 2, 2, 8, 2, 5, 1),
            new Heads("gqa4", 8, 2, 64, 2, 17, 3),
            new Heads("gqa8", 16, 2, 128, 1, 13, 1),
            new Heads("mqa", 4, 1, 64, 3, 7, 3),
            new Heads("mqa-decode", 8, 1, 128, 2, 1, 1),
            new Heads("long", 4, 2, 64, 1, 70, 2),
            new Heads("chunked", 4, 2, 32, 2, 12, 11),
            new Heads("mqa-wide", 12, 1, 256, 1, 9, 2));

    static final int PREFILL = 5, CACHE_LAYER = 1, CAPACITY = 16;
    static final int[] CACHE_SLOTS = {2, 0};

    static Stream<Arguments> cases() { return OpHarness.cross(DeviceCase.all(), HEADS, List.of(true, false), List.of(false, true)); }

    static Stream<Arguments> devices() { return DeviceCase.all().stream().map(Arguments::of); }

    // ---- reference ------------------------------------------------------------------------

    /**
     * out[b*seqLen + i, h*hd + d] over the keys/values of sequence b (keys[b]: [len, kvHeads*hd],
     * the cached prefix then this step's rows); query i sits at absolute position past[b] + i.
     * mask: [batch, maskCols] or null. In float when inFloat (a plain same-precision implementation).
     */
    static double[] attend(float[] q, float[][] keys, float[][] values, int[] past, AttentionSpec s, float[] mask, int maskCols, boolean inFloat) {
        return AttentionCrossBiasConformanceTest.attend(q, keys, values, past, s, mask, maskCols, null, 0, inFloat);
    }

    /** Sequence 0 left-padded by 2 (-inf), sequence 1 with a finite -1.5 bias on key 3, zeros elsewhere. */
    static float[] paddingMask(int batch, int cols) {
        float[] m = new float[batch * cols];
        for (int j = 0; j < Math.min(2, cols); j++) m[j] = Float.NEGATIVE_INFINITY;
        if (batch > 1 && cols > 3) m[cols + 3] = -1.5f;
        if (batch > 2 && cols > 1) m[2 * cols + cols - 1] = Float.NEGATIVE_INFINITY;
        return m;
    }

    static void check(DeviceCase device, String what, HostTensor out, double[] expected, double[] plainFloat) {
        double floatError = Nmse.of(plainFloat, expected);
        double fa = Math.max(Nmse.ATTENTION_FA_FACTOR * floatError, Nmse.ATTENTION_FA_FLOOR);
        Nmse.check(device + " " + what + " (plain float NMSE " + String.format("%.2e", floatError) + ")",
                OpHarness.values(out), expected, Nmse.limit(device, Math.min(Nmse.ATTENTION, fa)));
    }

    /** Rows of sequence b out of a [batch*seqLen, width] step tensor. */
    static float[] rowsOf(float[] x, int b, int seqLen, int width) {
        return Arrays.copyOfRange(x, b * seqLen * width, (b + 1) * seqLen * width);
    }

    static float[] concat(float[] a, float[] b) {
        float[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    // ---- tests --------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} uncached {1} causal={2} masked={3}")
    @MethodSource("cases")
    void uncached(DeviceCase device, Heads hh, boolean causal, boolean masked) {
        int batch = hh.batch(), seq = hh.seqLen(), hd = hh.headDim(), rows = batch * seq;
        int qDim = hh.heads() * hd, kvDim = hh.kvHeads() * hd;
        AttentionSpec spec = new AttentionSpec(batch, seq, hh.heads(), hh.kvHeads(), hd, (float) (1 / Math.sqrt(hd)), causal, -1);
        SplittableRandom rnd = new SplittableRandom(41);
        float[] q = OpHarness.uniform(rnd, rows * qDim, -2, 2);
        float[] k = OpHarness.uniform(rnd, rows * kvDim, -2, 2);
        float[] v = OpHarness.uniform(rnd, rows * kvDim, -1, 1);
        float[] mask = masked ? paddingMask(batch, seq) : null;
        float[][] keys = new float[batch][], vals = new float[batch][];
        for (int b = 0; b < batch; b++) {
            keys[b] = rowsOf(k, b, seq, kvDim);
            vals[b] = rowsOf(v, b, seq, kvDim);
        }
        int[] past = new int[batch];
        double[] expected = attend(q, keys, vals, past, spec, mask, seq, false);
        double[] plain = attend(q, keys, vals, past, spec, mask, seq, true);
        try (OpHarness h = new OpHarness()) {
            var g = h.guarded(rows, qDim, DType.F32, b -> b.attention(b.input("q", DType.F32, rows, qDim), b.input("k", DType.F32, rows, kvDim),
                    b.input("v", DType.F32, rows, kvDim), b.input("past", DType.I32, batch, 1), b.input("slots", DType.I32, batch, 1),
                    masked ? b.input("mask", DType.F32, batch, seq) : null, spec, "attn"));
            Map<String, HostTensor> in = new HashMap<>(Map.of("q", h.f32(rows, qDim, q), "k", h.f32(rows, kvDim, k), "v", h.f32(rows, kvDim, v),
                    "past", h.i32(batch, 1, past), "slots", h.i32(batch, 1, new int[batch])));
            if (masked) in.put("mask", h.f32(batch, seq, mask));
            try (var s = h.open(device)) {
                check(device, "attention " + hh, s.run(g, in, null), expected, plain);
            }
        }
    }

    /** Prefill PREFILL tokens at past 0, then stepTwo more at past PREFILL; both steps checked. */
    @ParameterizedTest(name = "{0} cached two steps {1} causal={2} masked={3}")
    @MethodSource("cases")
    void cachedTwoSteps(DeviceCase device, Heads hh, boolean causal, boolean masked) {
        int batch = 2, hd = hh.headDim(), qDim = hh.heads() * hd, kvDim = hh.kvHeads() * hd;
        float scale = (float) (1 / Math.sqrt(hd));
        SplittableRandom rnd = new SplittableRandom(43);
        float[][] keys = new float[batch][0], vals = new float[batch][0];
        try (OpHarness h = new OpHarness(); var s = h.open(device);
             KvCache kv = new KvCache(s.device().allocateKv(new KvSpec(2, 3, CAPACITY, hh.kvHeads(), hd)))) {
            int done = 0;
            for (int seq : new int[] {PREFILL, hh.stepTwo()}) {
                int rows = batch * seq, p0 = done;
                // step two's mask leaves the newest key unmasked: entries cover keys j < maskCols only
                int maskCols = done == 0 ? seq : p0 + seq - 1;
                AttentionSpec spec = new AttentionSpec(batch, seq, hh.heads(), hh.kvHeads(), hd, scale, causal, CACHE_LAYER);
                float[] q = OpHarness.uniform(rnd, rows * qDim, -2, 2);
                float[] k = OpHarness.uniform(rnd, rows * kvDim, -2, 2);
                float[] v = OpHarness.uniform(rnd, rows * kvDim, -1, 1);
                float[] mask = masked ? paddingMask(batch, maskCols) : null;
                int[] past = new int[batch];
                for (int b = 0; b < batch; b++) {
                    past[b] = p0;
                    keys[b] = concat(keys[b], rowsOf(k, b, seq, kvDim));
                    vals[b] = concat(vals[b], rowsOf(v, b, seq, kvDim));
                }
                double[] expected = attend(q, keys, vals, past, spec, mask, maskCols, false);
                double[] plain = attend(q, keys, vals, past, spec, mask, maskCols, true);
                var g = h.guarded(rows, qDim, DType.F32, b -> b.attention(b.input("q", DType.F32, rows, qDim), b.input("k", DType.F32, rows, kvDim),
                        b.input("v", DType.F32, rows, kvDim), b.input("past", DType.I32, batch, 1), b.input("slots", DType.I32, batch, 1),
                        masked ? b.input("mask", DType.F32, batch, maskCols) : null, spec, "attn"));
                Map<String, HostTensor> in = new HashMap<>(Map.of("q", h.f32(rows, qDim, q), "k", h.f32(rows, kvDim, k), "v", h.f32(rows, kvDim, v),
                        "past", h.i32(batch, 1, past), "slots", h.i32(batch, 1, CACHE_SLOTS)));
                if (masked) in.put("mask", h.f32(batch, maskCols, mask));
                check(device, "cached attention " + hh + " step at past " + p0 + " of " + seq, s.run(g, in, kv), expected, plain);
                for (int slot : CACHE_SLOTS) kv.advance(slot, seq);
                done += seq;
            }
        }
    }

    /**
     * Sequences of different lengths in one batch: both prefilled with PREFILL tokens, then the
     * sequence in slot CACHE_SLOTS[0] alone gets 3 more, then both decode one token at pasts
     * {PREFILL + 3, PREFILL}; every step is checked against the reference.
     */
    @ParameterizedTest(name = "{0} cached ragged batch {1} causal={2} masked={3}")
    @MethodSource("cases")
    void cachedRaggedBatch(DeviceCase device, Heads hh, boolean causal, boolean masked) {
        int hd = hh.headDim(), qDim = hh.heads() * hd, kvDim = hh.kvHeads() * hd;
        float scale = (float) (1 / Math.sqrt(hd));
        SplittableRandom rnd = new SplittableRandom(45);
        float[][] keys = {new float[0], new float[0]}, vals = {new float[0], new float[0]};
        int[] lengths = new int[2];
        // (sequences in this step, seqLen)
        int[][] steps = {{0, 1}, {0}, {0, 1}};
        int[] seqLens = {PREFILL, 3, 1};
        try (OpHarness h = new OpHarness(); var s = h.open(device);
             KvCache kv = new KvCache(s.device().allocateKv(new KvSpec(2, 3, CAPACITY, hh.kvHeads(), hd)))) {
            for (int st = 0; st < steps.length; st++) {
                int[] seqs = steps[st];
                int batch = seqs.length, seq = seqLens[st], rows = batch * seq;
                int[] past = new int[batch], slots = new int[batch];
                for (int b = 0; b < batch; b++) {
                    past[b] = lengths[seqs[b]];
                    slots[b] = CACHE_SLOTS[seqs[b]];
                }
                int maskCols = Arrays.stream(past).max().orElseThrow() + seq;
                AttentionSpec spec = new AttentionSpec(batch, seq, hh.heads(), hh.kvHeads(), hd, scale, causal, CACHE_LAYER);
                float[] q = OpHarness.uniform(rnd, rows * qDim, -2, 2);
                float[] k = OpHarness.uniform(rnd, rows * kvDim, -2, 2);
                float[] v = OpHarness.uniform(rnd, rows * kvDim, -1, 1);
                float[] mask = masked ? paddingMask(batch, maskCols) : null;
                float[][] stepKeys = new float[batch][], stepVals = new float[batch][];
                for (int b = 0; b < batch; b++) {
                    int sq = seqs[b];
                    keys[sq] = concat(keys[sq], rowsOf(k, b, seq, kvDim));
                    vals[sq] = concat(vals[sq], rowsOf(v, b, seq, kvDim));
                    stepKeys[b] = keys[sq];
                    stepVals[b] = vals[sq];
                }
                double[] expected = attend(q, stepKeys, stepVals, past, spec, mask, maskCols, false);
                double[] plain = attend(q, stepKeys, stepVals, past, spec, mask, maskCols, true);
                var g = h.guarded(rows, qDim, DType.F32, b -> b.attention(b.input("q", DType.F32, rows, qDim), b.input("k", DType.F32, rows, kvDim),
                        b.input("v", DType.F32, rows, kvDim), b.input("past", DType.I32, batch, 1), b.input("slots", DType.I32, batch, 1),
                        masked ? b.input("mask", DType.F32, batch, maskCols) : null, spec, "attn"));
                Map<String, HostTensor> in = new HashMap<>(Map.of("q", h.f32(rows, qDim, q), "k", h.f32(rows, kvDim, k), "v", h.f32(rows, kvDim, v),
                        "past", h.i32(batch, 1, past), "slots", h.i32(batch, 1, slots)));
                if (masked) in.put("mask", h.f32(batch, maskCols, mask));
                check(device, "ragged cached attention " + hh + " step " + st + " at pasts " + Arrays.toString(past), s.run(g, in, kv), expected, plain);
                for (int b = 0; b < batch; b++) {
                    lengths[seqs[b]] += seq;
                    kv.advance(slots[b], seq);
                }
            }
        }
    }

    /** GPT-2 style: q, k and v are column views of one fused [rows, (heads + 2 kvHeads) · hd] projection. */
    @ParameterizedTest(name = "{0} attention over views of a fused qkv")
    @MethodSource("devices")
    void fusedQkvViews(DeviceCase device) {
        Heads hh = HEADS.get(1);
        int batch = 2, seq = 9, hd = hh.headDim(), rows = batch * seq, qDim = hh.heads() * hd, kvDim = hh.kvHeads() * hd;
        int width = qDim + 2 * kvDim;
        AttentionSpec spec = new AttentionSpec(batch, seq, hh.heads(), hh.kvHeads(), hd, 0.3f, true, -1);
        float[] qkv = OpHarness.uniform(new SplittableRandom(47), rows * width, -2, 2);
        float[] q = new float[rows * qDim], k = new float[rows * kvDim], v = new float[rows * kvDim];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(qkv, r * width, q, r * qDim, qDim);
            System.arraycopy(qkv, r * width + qDim, k, r * kvDim, kvDim);
            System.arraycopy(qkv, r * width + qDim + kvDim, v, r * kvDim, kvDim);
        }
        float[][] keys = {rowsOf(k, 0, seq, kvDim), rowsOf(k, 1, seq, kvDim)}, vals = {rowsOf(v, 0, seq, kvDim), rowsOf(v, 1, seq, kvDim)};
        int[] past = new int[batch];
        double[] expected = attend(q, keys, vals, past, spec, null, 0, false);
        double[] plain = attend(q, keys, vals, past, spec, null, 0, true);
        try (OpHarness h = new OpHarness()) {
            var g = h.guarded(rows, qDim, DType.F32, b -> {
                Tensor fused = b.input("qkv", DType.F32, rows, width);
                return b.attention(b.columns(fused, 0, qDim, "q"), b.columns(fused, qDim, kvDim, "k"), b.columns(fused, qDim + kvDim, kvDim, "v"),
                        b.input("past", DType.I32, batch, 1), b.input("slots", DType.I32, batch, 1), null, spec, "attn");
            });
            try (var s = h.open(device)) {
                HostTensor out = s.run(g, Map.of("qkv", h.f32(rows, width, qkv), "past", h.i32(batch, 1, past), "slots", h.i32(batch, 1, new int[batch])), null);
                check(device, "attention over fused-qkv views", out, expected, plain);
            }
        }
    }
}
