// Conformance of the encoder-decoder attention features on every backend and mode:
// cross-attention (uncached, keys of another length kvLen than the queries, kvLen 1, 9 and 70 —
// past a 64-key tile — with an encoder padding mask, one sequence fully padded; 6 and 10 query
// rows, below and above OpenCL's prefill-kernel threshold) and T5's additive
// per-head position bias, uncached (encoder self-attention, with padding) and cached over two
// steps (prefill, then a one-token decode step, bias rows spanning the KV capacity). Bias inputs
// are column views of a wider tensor, so offsets and row strides are exercised. Head dims 16
// (T5), 64 and 6 (odd, not a multiple of 4). The reference is plain double math written here and
// each result must also meet flash-attention's rule against a plain float implementation.
package dev.strata.tests.ops;

import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.kv.KvCache;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.ops.AttentionSpec;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AttentionCrossBiasConformanceTest {
    record Heads(String name, int heads, int kvHeads, int headDim) {
        @Override public String toString() { return name + " " + heads + "/" + kvHeads + "×" + headDim; }
    }

    static final List<Heads> HEADS = List.of(new Heads("t5", 4, 4, 16), new Heads("gqa", 8, 2, 64), new Heads("odd", 3, 3, 6));
    /** Extra columns around the bias view: it starts at column 1 of a [rows, heads + BIAS_PAD] input. */
    static final int BIAS_PAD = 3, CAPACITY = 12, CACHE_LAYER = 1;

    static Stream<Arguments> crossCases() { return OpHarness.cross(DeviceCase.all(), HEADS, List.of(1, 9, 70), List.of(6, 10)); }

    static Stream<Arguments> cases() { return OpHarness.cross(DeviceCase.all(), HEADS); }

    /**
     * out[b*seqLen + i] over keys[b] ([n_b, kvHeads*hd]); query i at absolute position past[b] + i;
     * mask [batch, maskCols] or null; bias [(b*seqLen + i)*keyCols + j][h] (dense) or null.
     */
    static double[] attend(float[] q, float[][] keys, float[][] values, int[] past, AttentionSpec s, float[] mask, int maskCols,
                           float[] bias, int keyCols, boolean inFloat) {
        int hd = s.headDim(), kvDim = s.kvHeads() * hd, qDim = s.heads() * hd;
        double[] out = new double[s.batch() * s.seqLen() * qDim];
        for (int b = 0; b < s.batch(); b++) {
            int total = keys[b].length / kvDim;
            for (int h = 0; h < s.heads(); h++) {
                int kvh = h / (s.heads() / s.kvHeads());
                for (int i = 0; i < s.seqLen(); i++) {
                    int row = b * s.seqLen() + i, n = s.causal() ? past[b] + i + 1 : total;
                    double[] score = new double[n];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        double dot = 0;
                        float fdot = 0;
                        for (int d = 0; d < hd; d++) {
                            float qv = q[row * qDim + h * hd + d], kv = keys[b][j * kvDim + kvh * hd + d];
                            dot += (double) qv * kv;
                            fdot += qv * kv;
                        }
                        double add = (mask != null && j < maskCols ? mask[b * maskCols + j] : 0)
                                + (bias != null && j < keyCols ? bias[(row * keyCols + j) * s.heads() + h] : 0);
                        score[j] = inFloat ? fdot * s.scale() + (float) add : dot * s.scale() + add;
                        max = Math.max(max, score[j]);
                    }
                    if (max == Double.NEGATIVE_INFINITY) continue;
                    double sum = 0;
                    float fsum = 0;
                    for (int j = 0; j < n; j++) {
                        score[j] = inFloat ? (float) Math.exp((float) (score[j] - max)) : Math.exp(score[j] - max);
                        sum += score[j];
                        fsum += (float) score[j];
                    }
                    for (int d = 0; d < hd; d++) {
                        double acc = 0;
                        float facc = 0;
                        for (int j = 0; j < n; j++) {
                            float vv = values[b][j * kvDim + kvh * hd + d];
                            acc += score[j] * vv;
                            facc += (float) score[j] * vv;
                        }
                        out[row * qDim + h * hd + d] = inFloat ? facc / fsum : acc / sum;
                    }
                }
            }
        }
        return out;
    }

    /** Encoder padding: sequence 0 keeps all keys, sequence 1 loses its last two, sequence 2 (if any) every key. */
    static float[] encoderMask(int batch, int cols) {
        float[] m = new float[batch * cols];
        if (batch > 1) for (int j = Math.max(1, cols - 2); j < cols; j++) m[cols + j] = Float.NEGATIVE_INFINITY;
        if (batch > 2) for (int j = 0; j < cols; j++) m[2 * cols + j] = Float.NEGATIVE_INFINITY;
        return m;
    }

    /** The bias values laid out in a [rows, heads + BIAS_PAD] input, at columns [1, 1 + heads). */
    static float[] padded(float[] bias, int rows, int heads) {
        int w = heads + BIAS_PAD;
        float[] out = OpHarness.uniform(new SplittableRandom(rows), rows * w, 50, 60);
        for (int r = 0; r < rows; r++) System.arraycopy(bias, r * heads, out, r * w + 1, heads);
        return out;
    }

    static Tensor biasView(GraphBuilder b, int rows, int heads) {
        return b.columns(b.input("bias_full", DType.F32, rows, heads + BIAS_PAD), 1, heads, "bias");
    }

    static float[] rowsOf(float[] x, int b, int n, int width) { return java.util.Arrays.copyOfRange(x, b * n * width, (b + 1) * n * width); }

    @ParameterizedTest(name = "{0} cross-attention {1} kvLen={2} queries={3}")
    @MethodSource("crossCases")
    void crossAttention(DeviceCase device, Heads hh, int kvLen, int seq) {
        int batch = 3, hd = hh.headDim(), rows = batch * seq, kvRows = batch * kvLen;
        int qDim = hh.heads() * hd, kvDim = hh.kvHeads() * hd;
        AttentionSpec spec = new AttentionSpec(batch, seq, hh.heads(), hh.kvHeads(), hd, (float) (1 / Math.sqrt(hd)), false, -1, kvLen);
        SplittableRandom rnd = new SplittableRandom(51 + kvLen);
        float[] q = OpHarness.uniform(rnd, rows * qDim, -2, 2);
        float[] k = OpHarness.uniform(rnd, kvRows * kvDim, -2, 2);
        float[] v = OpHarness.uniform(rnd, kvRows * kvDim, -1, 1);
        float[] mask = encoderMask(batch, kvLen);
        float[][] keys = new float[batch][], vals = new float[batch][];
        for (int b = 0; b < batch; b++) {
            keys[b] = rowsOf(k, b, kvLen, kvDim);
            vals[b] = rowsOf(v, b, kvLen, kvDim);
        }
        int[] past = new int[batch];
        double[] expected = attend(q, keys, vals, past, spec, mask, kvLen, null, 0, false);
        double[] plain = attend(q, keys, vals, past, spec, mask, kvLen, null, 0, true);
        try (OpHarness h = new OpHarness()) {
            var g = h.guarded(rows, qDim, DType.F32, b -> b.attention(b.input("q", DType.F32, rows, qDim), b.input("k", DType.F32, kvRows, kvDim),
                    b.input("v", DType.F32, kvRows, kvDim), b.input("past", DType.I32, batch, 1), b.input("slots", DType.I32, batch, 1),
                    b.input("mask", DType.F32, batch, kvLen), null, spec, "cross_attn"));
            Map<String, HostTensor> in = Map.of("q", h.f32(rows, qDim, q), "k", h.f32(kvRows, kvDim, k), "v", h.f32(kvRows, kvDim, v),
                    "past", h.i32(batch, 1, past), "slots", h.i32(batch, 1, new int[batch]), "mask", h.f32(batch, kvLen, mask));
            try (var s = h.open(device)) {
                AttentionConformanceTest.check(device, "cross-attention " + hh + " kvLen " + kvLen, s.run(g, in, null), expected, plain);
            }
        }
    }

    @ParameterizedTest(name = "{0} uncached position bias {1}")
    @MethodSource("cases")
    void uncachedBias(DeviceCase device, Heads hh) {
        int batch = 2, seq = 9, hd = hh.headDim(), rows = batch * seq, qDim = hh.heads() * hd, kvDim = hh.kvHeads() * hd;
        AttentionSpec spec = new AttentionSpec(batch, seq, hh.heads(), hh.kvHeads(), hd, 1f, false, -1);
        SplittableRandom rnd = new SplittableRandom(53);
        float[] q = OpHarness.uniform(rnd, rows * qDim, -1, 1);
        float[] k = OpHarness.uniform(rnd, rows * kvDim, -1, 1);
        float[] v = OpHarness.uniform(rnd, rows * kvDim, -1, 1);
        float[] bias = OpHarness.uniform(rnd, rows * seq * hh.heads(), -3, 3);
        float[] mask = encoderMask(batch, seq);
        float[][] keys = {rowsOf(k, 0, seq, kvDim), rowsOf(k, 1, seq, kvDim)}, vals = {rowsOf(v, 0, seq, kvDim), rowsOf(v, 1, seq, kvDim)};
        int[] past = new int[batch];
        double[] expected = attend(q, keys, vals, past, spec, mask, seq, bias, seq, false);
        double[] plain = attend(q, keys, vals, past, spec, mask, seq, bias, seq, true);
        try (OpHarness h = new OpHarness()) {
            var g = h.guarded(rows, qDim, DType.F32, b -> b.attention(b.input("q", DType.F32, rows, qDim), b.input("k", DType.F32, rows, kvDim),
                    b.input("v", DType.F32, rows, kvDim), b.input("past", DType.I32, batch, 1), b.input("slots", DType.I32, batch, 1),
                    b.input("mask", DType.F32, batch, seq), biasView(b, rows * seq, hh.heads()), spec, "attn"));
            Map<String, HostTensor> in = Map.of("q", h.f32(rows, qDim, q), "k", h.f32(rows, kvDim, k), "v", h.f32(rows, kvDim, v),
                    "past", h.i32(batch, 1, past), "slots", h.i32(batch, 1, new int[batch]), "mask", h.f32(batch, seq, mask),
                    "bias_full", h.f32(rows * seq, hh.heads() + BIAS_PAD, padded(bias, rows * seq, hh.heads())));
            try (var s = h.open(device)) {
                AttentionConformanceTest.check(device, "attention with position bias " + hh, s.run(g, in, null), expected, plain);
            }
        }
    }

    /** Causal, cached: a 5-token prefill then a 1-token decode step, bias rows over the whole KV capacity. */
    @ParameterizedTest(name = "{0} cached position bias {1}")
    @MethodSource("cases")
    void cachedBias(DeviceCase device, Heads hh) {
        int batch = 2, hd = hh.headDim(), qDim = hh.heads() * hd, kvDim = hh.kvHeads() * hd;
        int[] slots = {2, 0};
        SplittableRandom rnd = new SplittableRandom(55);
        float[][] keys = {new float[0], new float[0]}, vals = {new float[0], new float[0]};
        try (OpHarness h = new OpHarness(); var s = h.open(device);
             KvCache kv = new KvCache(s.device().allocateKv(new KvSpec(2, 3, CAPACITY, hh.kvHeads(), hd)))) {
            int done = 0;
            for (int seq : new int[] {5, 1}) {
                int rows = batch * seq, biasRows = rows * CAPACITY;
                AttentionSpec spec = new AttentionSpec(batch, seq, hh.heads(), hh.kvHeads(), hd, 1f, true, CACHE_LAYER);
                float[] q = OpHarness.uniform(rnd, rows * qDim, -1, 1);
                float[] k = OpHarness.uniform(rnd, rows * kvDim, -1, 1);
                float[] v = OpHarness.uniform(rnd, rows * kvDim, -1, 1);
                float[] bias = OpHarness.uniform(rnd, biasRows * hh.heads(), -3, 3);
                int[] past = {done, done};
                for (int b = 0; b < batch; b++) {
                    keys[b] = AttentionConformanceTest.concat(keys[b], rowsOf(k, b, seq, kvDim));
                    vals[b] = AttentionConformanceTest.concat(vals[b], rowsOf(v, b, seq, kvDim));
                }
                double[] expected = attend(q, keys, vals, past, spec, null, 0, bias, CAPACITY, false);
                double[] plain = attend(q, keys, vals, past, spec, null, 0, bias, CAPACITY, true);
                var g = h.guarded(rows, qDim, DType.F32, b -> b.attention(b.input("q", DType.F32, rows, qDim), b.input("k", DType.F32, rows, kvDim),
                        b.input("v", DType.F32, rows, kvDim), b.input("past", DType.I32, batch, 1), b.input("slots", DType.I32, batch, 1),
                        null, biasView(b, biasRows, hh.heads()), spec, "attn"));
                Map<String, HostTensor> in = new HashMap<>(Map.of("q", h.f32(rows, qDim, q), "k", h.f32(rows, kvDim, k), "v", h.f32(rows, kvDim, v),
                        "past", h.i32(batch, 1, past), "slots", h.i32(batch, 1, slots),
                        "bias_full", h.f32(biasRows, hh.heads() + BIAS_PAD, padded(bias, biasRows, hh.heads()))));
                AttentionConformanceTest.check(device, "cached attention with position bias " + hh + " at past " + done, s.run(g, in, kv), expected, plain);
                for (int slot : slots) kv.advance(slot, seq);
                done += seq;
            }
        }
    }
}
