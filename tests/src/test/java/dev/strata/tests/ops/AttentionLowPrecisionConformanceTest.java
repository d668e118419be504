// Conformance of attention whose spec allows 16-bit products (AttentionSpec.compute BF16 or F16,
// what 16-bit decoders ask for), on every backend: the CUDA tensor-core prefill kernel rounds
// q·scale, K, V and the probabilities to 16 bits with F32 accumulation; the CPU reference and
// OpenCL compute in F32 and must meet the same limits trivially. Shapes cover more than one
// 128-row query block and 64-key tile with tails (seqLen 150, 300), head dims 64 and 128, GQA,
// causal and not, a padding mask, a two-step cached prefill (100 rows, then 40 more at past 100),
// cross-attention (20 queries over 90 keys) and a T5-style position bias with an encoder mask.
//
// Limit: NMSE at most LOW_PRECISION_FACTOR × that of the same attention computed in double on
// q, K and V rounded to the 16-bit type (the error the rounding itself causes; a kernel that also
// rounds the probabilities measures 1.1-1.5× it in a numpy model of these shapes), and at most
// Nmse.ATTENTION_16BIT. NaN always fails.
package dev.strata.tests.ops;

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

class AttentionLowPrecisionConformanceTest {
    static final double LOW_PRECISION_FACTOR = 4;

    record Shape(String name, int heads, int kvHeads, int headDim, int batch, int seqLen, boolean causal, boolean masked) {
        @Override public String toString() { return name + " " + heads + "/" + kvHeads + "×" + headDim + " s" + seqLen + (causal ? " causal" : "") + (masked ? " masked" : ""); }
    }

    static final List<Shape> SHAPES = List.of(
            new Shape("gqa", 8, 2, 128, 2, 150, true, false),
            new Shape("gqa-masked", 8, 2, 128, 2, 150, true, true),
            new Shape("mha", 4, 4, 64, 1, 300, false, true),
            new Shape("mqa", 4, 1, 64, 2, 150, true, false));

    static Stream<Arguments> cases() { return OpHarness.cross(DeviceCase.all(), List.of(DType.BF16, DType.F16), SHAPES); }

    static Stream<Arguments> devicesAndTypes() { return OpHarness.cross(DeviceCase.all(), List.of(DType.BF16, DType.F16)); }

    /** x rounded to the nearest `dtype` value (BF16: round to nearest even on the float's bits). */
    static float round(float x, DType dtype) {
        if (dtype == DType.F16) return Float.float16ToFloat(Float.floatToFloat16(x));
        int bits = Float.floatToRawIntBits(x);
        return Float.intBitsToFloat((bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000);
    }

    static float[] round(float[] x, DType dtype) {
        float[] r = new float[x.length];
        for (int i = 0; i < x.length; i++) r[i] = round(x[i], dtype);
        return r;
    }

    static float[][] round(float[][] x, DType dtype) {
        float[][] r = new float[x.length][];
        for (int i = 0; i < x.length; i++) r[i] = round(x[i], dtype);
        return r;
    }

    /** Checks out against the double reference with the limit described in the header. */
    static void check(DeviceCase device, String what, HostTensor out, double[] expected, double[] rounded) {
        double roundingError = Nmse.of(rounded, expected);
        double limit = Math.min(Nmse.ATTENTION_16BIT, Math.max(LOW_PRECISION_FACTOR * roundingError, Nmse.ATTENTION_FA_FLOOR));
        Nmse.check(device + " " + what + " (16-bit input rounding NMSE " + String.format("%.2e", roundingError) + ")",
                OpHarness.values(out), expected, Nmse.limit(device, limit));
    }

    static double[] attend(float[] q, float[][] keys, float[][] values, int[] past, AttentionSpec s, float[] mask, int maskCols) {
        return AttentionConformanceTest.attend(q, keys, values, past, s, mask, maskCols, false);
    }

    @ParameterizedTest(name = "{0} {1} uncached {2}")
    @MethodSource("cases")
    void uncached(DeviceCase device, DType compute, Shape sh) {
        int batch = sh.batch(), seq = sh.seqLen(), hd = sh.headDim(), rows = batch * seq;
        int qDim = sh.heads() * hd, kvDim = sh.kvHeads() * hd;
        AttentionSpec spec = new AttentionSpec(batch, seq, sh.heads(), sh.kvHeads(), hd, (float) (1 / Math.sqrt(hd)), sh.causal(), -1).withCompute(compute);
        SplittableRandom rnd = new SplittableRandom(51);
        float[] q = OpHarness.uniform(rnd, rows * qDim, -2, 2);
        float[] k = OpHarness.uniform(rnd, rows * kvDim, -2, 2);
        float[] v = OpHarness.uniform(rnd, rows * kvDim, -1, 1);
        float[] mask = sh.masked() ? AttentionConformanceTest.paddingMask(batch, seq) : null;
        float[][] keys = new float[batch][], vals = new float[batch][];
        for (int b = 0; b < batch; b++) {
            keys[b] = AttentionConformanceTest.rowsOf(k, b, seq, kvDim);
            vals[b] = AttentionConformanceTest.rowsOf(v, b, seq, kvDim);
        }
        int[] past = new int[batch];
        double[] expected = attend(q, keys, vals, past, spec, mask, seq);
        double[] rounded = attend(round(q, compute), round(keys, compute), round(vals, compute), past, spec, mask, seq);
        try (OpHarness h = new OpHarness()) {
            var g = h.guarded(rows, qDim, DType.F32, b -> b.attention(b.input("q", DType.F32, rows, qDim), b.input("k", DType.F32, rows, kvDim),
                    b.input("v", DType.F32, rows, kvDim), b.input("past", DType.I32, batch, 1), b.input("slots", DType.I32, batch, 1),
                    sh.masked() ? b.input("mask", DType.F32, batch, seq) : null, spec, "attn"));
            Map<String, HostTensor> in = new HashMap<>(Map.of("q", h.f32(rows, qDim, q), "k", h.f32(rows, kvDim, k), "v", h.f32(rows, kvDim, v),
                    "past", h.i32(batch, 1, past), "slots", h.i32(batch, 1, new int[batch])));
            if (sh.masked()) in.put("mask", h.f32(batch, seq, mask));
            try (var s = h.open(device)) {
                check(device, compute + " attention " + sh, s.run(g, in, null), expected, rounded);
            }
        }
    }

    /** GQA 8/2 × 64, causal: 100 rows at past 0 into slots {1, 0}, then 40 rows at past 100; both steps checked. */
    @ParameterizedTest(name = "{0} {1} cached two steps")
    @MethodSource("devicesAndTypes")
    void cachedTwoSteps(DeviceCase device, DType compute) {
        int batch = 2, heads = 8, kvHeads = 2, hd = 64, qDim = heads * hd, kvDim = kvHeads * hd, capacity = 160;
        int[] slots = {1, 0};
        SplittableRandom rnd = new SplittableRandom(53);
        float[][] keys = new float[batch][0], vals = new float[batch][0];
        try (OpHarness h = new OpHarness(); var s = h.open(device);
             KvCache kv = new KvCache(s.device().allocateKv(new KvSpec(1, 2, capacity, kvHeads, hd)))) {
            int done = 0;
            for (int seq : new int[] {100, 40}) {
                int rows = batch * seq;
                AttentionSpec spec = new AttentionSpec(batch, seq, heads, kvHeads, hd, 0.125f, true, 0).withCompute(compute);
                float[] q = OpHarness.uniform(rnd, rows * qDim, -2, 2);
                float[] k = OpHarness.uniform(rnd, rows * kvDim, -2, 2);
                float[] v = OpHarness.uniform(rnd, rows * kvDim, -1, 1);
                int[] past = {done, done};
                for (int b = 0; b < batch; b++) {
                    keys[b] = AttentionConformanceTest.concat(keys[b], AttentionConformanceTest.rowsOf(k, b, seq, kvDim));
                    vals[b] = AttentionConformanceTest.concat(vals[b], AttentionConformanceTest.rowsOf(v, b, seq, kvDim));
                }
                double[] expected = attend(q, keys, vals, past, spec, null, 0);
                double[] rounded = attend(round(q, compute), round(keys, compute), round(vals, compute), past, spec, null, 0);
                var g = h.guarded(rows, qDim, DType.F32, b -> b.attention(b.input("q", DType.F32, rows, qDim), b.input("k", DType.F32, rows, kvDim),
                        b.input("v", DType.F32, rows, kvDim), b.input("past", DType.I32, batch, 1), b.input("slots", DType.I32, batch, 1),
                        null, spec, "attn"));
                Map<String, HostTensor> in = Map.of("q", h.f32(rows, qDim, q), "k", h.f32(rows, kvDim, k), "v", h.f32(rows, kvDim, v),
                        "past", h.i32(batch, 1, past), "slots", h.i32(batch, 1, slots));
                check(device, compute + " cached attention step at past " + done + " of " + seq, s.run(g, in, kv), expected, rounded);
                for (int slot : slots) kv.advance(slot, seq);
                done += seq;
            }
        }
    }

    /** Cross-attention: 20 queries per sequence over 90 source keys, 4 heads × 128, not causal. */
    @ParameterizedTest(name = "{0} {1} cross-attention")
    @MethodSource("devicesAndTypes")
    void crossAttention(DeviceCase device, DType compute) {
        int batch = 2, seq = 20, src = 90, heads = 4, hd = 128, dim = heads * hd;
        AttentionSpec spec = new AttentionSpec(batch, seq, heads, heads, hd, (float) (1 / Math.sqrt(hd)), false, -1, src).withCompute(compute);
        SplittableRandom rnd = new SplittableRandom(55);
        float[] q = OpHarness.uniform(rnd, batch * seq * dim, -2, 2);
        float[] k = OpHarness.uniform(rnd, batch * src * dim, -2, 2);
        float[] v = OpHarness.uniform(rnd, batch * src * dim, -1, 1);
        float[][] keys = new float[batch][], vals = new float[batch][];
        for (int b = 0; b < batch; b++) {
            keys[b] = AttentionConformanceTest.rowsOf(k, b, src, dim);
            vals[b] = AttentionConformanceTest.rowsOf(v, b, src, dim);
        }
        int[] past = new int[batch];
        double[] expected = attend(q, keys, vals, past, spec, null, 0);
        double[] rounded = attend(round(q, compute), round(keys, compute), round(vals, compute), past, spec, null, 0);
        try (OpHarness h = new OpHarness()) {
            var g = h.guarded(batch * seq, dim, DType.F32, b -> b.attention(b.input("q", DType.F32, batch * seq, dim), b.input("k", DType.F32, batch * src, dim),
                    b.input("v", DType.F32, batch * src, dim), b.input("past", DType.I32, batch, 1), b.input("slots", DType.I32, batch, 1),
                    null, spec, "attn"));
            Map<String, HostTensor> in = Map.of("q", h.f32(batch * seq, dim, q), "k", h.f32(batch * src, dim, k), "v", h.f32(batch * src, dim, v),
                    "past", h.i32(batch, 1, past), "slots", h.i32(batch, 1, new int[batch]));
            try (var s = h.open(device)) {
                check(device, compute + " cross-attention", s.run(g, in, null), expected, rounded);
            }
        }
    }

    /** T5-style encoder attention: per-head position bias and padding mask, 130 rows, 4 heads × 64, not causal. */
    @ParameterizedTest(name = "{0} {1} position bias")
    @MethodSource("devicesAndTypes")
    void positionBias(DeviceCase device, DType compute) {
        int batch = 2, seq = 130, heads = 4, hd = 64, rows = batch * seq, dim = heads * hd;
        AttentionSpec spec = new AttentionSpec(batch, seq, heads, heads, hd, 1f / 8, false, -1).withCompute(compute);
        SplittableRandom rnd = new SplittableRandom(57);
        float[] q = OpHarness.uniform(rnd, rows * dim, -2, 2);
        float[] k = OpHarness.uniform(rnd, rows * dim, -2, 2);
        float[] v = OpHarness.uniform(rnd, rows * dim, -1, 1);
        float[] bias = OpHarness.uniform(rnd, rows * seq * heads, -3, 3);
        float[] mask = AttentionCrossBiasConformanceTest.encoderMask(batch, seq);
        float[][] keys = new float[batch][], vals = new float[batch][];
        for (int b = 0; b < batch; b++) {
            keys[b] = AttentionConformanceTest.rowsOf(k, b, seq, dim);
            vals[b] = AttentionConformanceTest.rowsOf(v, b, seq, dim);
        }
        int[] past = new int[batch];
        double[] expected = AttentionCrossBiasConformanceTest.attend(q, keys, vals, past, spec, mask, seq, bias, seq, false);
        double[] rounded = AttentionCrossBiasConformanceTest.attend(round(q, compute), round(keys, compute), round(vals, compute), past, spec,
                mask, seq, bias, seq, false);
        try (OpHarness h = new OpHarness()) {
            var g = h.guarded(rows, dim, DType.F32, b -> b.attention(b.input("q", DType.F32, rows, dim), b.input("k", DType.F32, rows, dim),
                    b.input("v", DType.F32, rows, dim), b.input("past", DType.I32, batch, 1), b.input("slots", DType.I32, batch, 1),
                    b.input("mask", DType.F32, batch, seq), AttentionCrossBiasConformanceTest.biasView(b, rows * seq, heads), spec, "attn"));
            Map<String, HostTensor> in = Map.of("q", h.f32(rows, dim, q), "k", h.f32(rows, dim, k), "v", h.f32(rows, dim, v),
                    "past", h.i32(batch, 1, past), "slots", h.i32(batch, 1, new int[batch]), "mask", h.f32(batch, seq, mask),
                    "bias_full", h.f32(rows * seq, heads + AttentionCrossBiasConformanceTest.BIAS_PAD,
                            AttentionCrossBiasConformanceTest.padded(bias, rows * seq, heads)));
            try (var s = h.open(device)) {
                check(device, compute + " attention with position bias", s.run(g, in, null), expected, rounded);
            }
        }
    }
}
