// Launch plans of every op on OpenCL (exhaustive over the closed op set). Each tensor is passed
// as (buffer, element offset, row stride); a tensor a kernel may read as a weight (matmul W and
// biases, norm weights, embedding tables, RoPE frequencies) also passes its dtype code (wt()):
// weights stay F32, F16 or BF16 on the device and kernels widen them on load.
// Matmul ladder (product()): m ≤ GEMV_MAX_ROWS → GEMV (decode); larger m → register-blocked
// tiled GEMM (prefill). A matmul's fused parts (prenorm, gate, rotary, residual) run as the
// separate kernels they stand for, through scratch buffers.
package dev.strata.opencl;

import dev.strata.engine.graph.Tensor;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.ops.*;
import dev.strata.engine.tensor.DType;
import java.util.ArrayList;
import java.util.List;

final class ClLaunchPlans {
    static final int GEMV_MAX_ROWS = 8;
    /**
     * (query row, query head) pairs per attention work-group (attention.cl's ATT_GH): the heads of
     * one KV group (or a chunk of a larger one) times as many consecutive rows as fit.
     */
    static final int ATT_PAIRS = 8;

    /** A tensor as kernels see it: buffer, element offset, shape, row stride (elements) and dtype. */
    record ClTensor(long mem, int off, int rows, int cols, int stride, DType dtype) {
        ClCall.Mem buf() { return new ClCall.Mem(mem); }

        /** The kernels' weight dtype code (WT_F32 0, WT_F16 1, WT_BF16 2 in strata_common.cl). */
        int wt() {
            return switch (dtype) {
                case F32 -> 0;
                case F16 -> 1;
                case BF16 -> 2;
                default -> throw new IllegalArgumentException("OpenCL kernels read weights as F32, F16 or BF16; got a " + dtype + " tensor [" + rows + ", " + cols + "]");
            };
        }

        /** A scratch F32 tensor of rows × cols at the start of buffer mem. */
        static ClTensor f32(long mem, int rows, int cols) { return new ClTensor(mem, 0, rows, cols, cols, DType.F32); }
    }

    /** What a plan needs from the device. */
    interface Context {
        ClTensor tensor(Tensor t);

        /** A small buffer passed where an optional input is absent. */
        long dummy();

        /** A device buffer of at least `bytes` for `purpose`, reused by later launches. */
        long scratch(String purpose, long bytes);

        KvSpec kvSpec();

        long kvKeys(int layer);

        long kvValues(int layer);
    }

    private ClLaunchPlans() {}

    private static long[] g(long... sizes) { return sizes; }

    private static int act(Activation a) {
        return switch (a) {
            case SILU -> 0;
            case GELU_ERF -> 1;
            case GELU_TANH -> 2;
            case RELU -> 3;
            case TANH -> 4;
        };
    }

    static List<ClCall> plan(Op op, Context c, ClTensor out) {
        return switch (op) {
            case Embedding e -> {
                ClTensor t = c.tensor(e.table()), ids = c.tensor(e.ids());
                yield List.of(ClCall.of("embedding", "embedding", g(out.rows() * 64L), g(64), t.buf(), t.wt(), t.off(), t.stride(), ids.buf(), ids.off(),
                        out.buf(), out.off(), out.stride(), out.cols()));
            }
            case MatMul mm -> matmul(mm, c, out);
            case RmsNorm n -> List.of(rmsNorm(c.tensor(n.x()), c.tensor(n.weight()), n.eps(), out));
            case LayerNorm n -> {
                ClTensor x = c.tensor(n.x()), w = c.tensor(n.weight());
                ClTensor b = n.bias() == null ? null : c.tensor(n.bias());
                yield List.of(ClCall.of("layer_norm", "layer_norm", g(x.rows() * 256L), g(256), x.buf(), x.off(), x.stride(), w.buf(), w.wt(), w.off(),
                        b == null ? new ClCall.Mem(c.dummy()) : b.buf(), b == null ? 0 : b.wt(), b == null ? 0 : b.off(), b == null ? 0 : 1,
                        out.buf(), out.off(), out.stride(), x.cols(), n.eps()));
            }
            case Rope r -> List.of(rope(c.tensor(r.x()), c.tensor(r.positions()), c.tensor(r.invFreq()), r.heads(), r.headDim(), r.rotaryDims(), out));
            case Attention a -> attention(a, c, out);
            case Softmax s -> {
                ClTensor x = c.tensor(s.x());
                yield List.of(ClCall.of("softmax", "softmax", g(x.rows() * 256L), g(256), x.buf(), x.off(), x.stride(), out.buf(), out.off(), out.stride(), x.cols()));
            }
            case Activate a -> List.of(activate(c.tensor(a.x()), a.act(), out));
            case GatedActivate ga -> List.of(gated(c.tensor(ga.gate()), c.tensor(ga.up()), ga.act(), out));
            case Add ad -> List.of(add(c.tensor(ad.a()), c.tensor(ad.b()), out));
            case Scale s -> {
                ClTensor x = c.tensor(s.x());
                yield List.of(ClCall.of("scale", "scale", g((long) x.rows() * x.cols()), null, x.buf(), x.off(), x.stride(),
                        out.buf(), out.off(), out.stride(), x.rows(), x.cols(), s.factor()));
            }
            case Argmax am -> {
                ClTensor x = c.tensor(am.x());
                yield List.of(ClCall.of("argmax", "argmax", g(x.rows() * 256L), g(256), x.buf(), x.off(), x.stride(), out.buf(), out.off(), x.cols()));
            }
        };
    }

    /**
     * A matmul and its fused parts as the kernels of the ops they stand for: rms_norm into scratch,
     * the product (twice for a gate, into scratch), gated_activate or activate, rope, then add of the residual.
     */
    private static List<ClCall> matmul(MatMul mm, Context c, ClTensor out) {
        ClTensor x = c.tensor(mm.x());
        List<ClCall> plan = new ArrayList<>();
        if (mm.prenorm() != null) {
            ClTensor normed = ClTensor.f32(c.scratch("matmul_prenorm", 4L * x.rows() * x.cols()), x.rows(), x.cols());
            plan.add(rmsNorm(x, c.tensor(mm.prenorm().weight()), mm.prenorm().eps(), normed));
            x = normed;
        }
        if (mm.gate() == null) {
            plan.add(product(x, c.tensor(mm.w()), mm.bias(), mm.layout(), c, out));
            if (mm.activation() != null) plan.add(activate(out, mm.activation(), out));
        } else {
            long bytes = 4L * out.rows() * out.cols();
            ClTensor gate = ClTensor.f32(c.scratch("matmul_gate", bytes), out.rows(), out.cols());
            ClTensor up = ClTensor.f32(c.scratch("matmul_up", bytes), out.rows(), out.cols());
            plan.add(product(x, c.tensor(mm.w()), mm.bias(), mm.layout(), c, gate));
            plan.add(product(x, c.tensor(mm.gate().up()), mm.gate().upBias(), mm.layout(), c, up));
            plan.add(gated(gate, up, mm.gate().act(), out));
        }
        if (mm.rotary() != null) {
            MatMul.Rotary ro = mm.rotary();
            plan.add(rope(out, c.tensor(ro.positions()), c.tensor(ro.invFreq()), ro.heads(), ro.headDim(), ro.rotaryDims(), out));
        }
        if (mm.residual() != null) plan.add(add(out, c.tensor(mm.residual()), out));
        return plan;
    }

    private static ClCall rmsNorm(ClTensor x, ClTensor w, float eps, ClTensor out) {
        return ClCall.of("rms_norm", "rms_norm", g(x.rows() * 256L), g(256), x.buf(), x.off(), x.stride(), w.buf(), w.wt(), w.off(),
                out.buf(), out.off(), out.stride(), x.cols(), eps);
    }

    /** RoPE of x's rows into out (which may alias x). */
    private static ClCall rope(ClTensor x, ClTensor pos, ClTensor inv, int heads, int headDim, int rotaryDims, ClTensor out) {
        return ClCall.of("rope", "rope", g(x.rows() * 64L), g(64), x.buf(), x.off(), x.stride(), pos.buf(), pos.off(),
                inv.buf(), inv.wt(), inv.off(), out.buf(), out.off(), out.stride(), heads, headDim, rotaryDims);
    }

    /** out = act(x), elementwise; out may alias x. */
    private static ClCall activate(ClTensor x, Activation a, ClTensor out) {
        return ClCall.of("activate", "activate", g((long) x.rows() * x.cols()), null, x.buf(), x.off(), x.stride(),
                out.buf(), out.off(), out.stride(), x.rows(), x.cols(), act(a));
    }

    private static ClCall gated(ClTensor gate, ClTensor up, Activation a, ClTensor out) {
        return ClCall.of("gated_activate", "gated_activate", g((long) gate.rows() * gate.cols()), null, gate.buf(), gate.off(), gate.stride(),
                up.buf(), up.off(), up.stride(), out.buf(), out.off(), out.stride(), gate.rows(), gate.cols(), act(a));
    }

    /** out = x + y, y one row broadcast over x's rows or x's shape; out may alias x or y. */
    private static ClCall add(ClTensor x, ClTensor y, ClTensor out) {
        int yStride = y.rows() == 1 && x.rows() != 1 ? 0 : y.stride();
        return ClCall.of("add", "add", g((long) x.rows() * x.cols()), null, x.buf(), x.off(), x.stride(), y.buf(), y.off(), yStride,
                out.buf(), out.off(), out.stride(), x.rows(), x.cols());
    }

    /**
     * out = x·W (+ bias). Ladder:
     * 1. m ≤ GEMV_MAX_ROWS → GEMV (decode): W is read once for all rows; OUT_IN with 4-wide loads
     *    where W's offset and stride allow them, IN_OUT coalesced along n. PoCL, 2048², m = 1:
     *    7.0 ms vs 14.5 ms for the one-column-per-work-group gemv it replaced (bench/RESULTS.md).
     * 2. else → 64×64 register-blocked tiled GEMM (prefill). PoCL, 128×2048×2048: 157 ms vs
     *    283 ms for the 16×16 one-output-per-work-item kernel it replaced. GPU figures not yet measured.
     */
    private static ClCall product(ClTensor x, ClTensor w, Tensor biasTensor, WeightLayout layout, Context c, ClTensor out) {
        ClTensor b = biasTensor == null ? null : c.tensor(biasTensor);
        int m = x.rows(), n = out.cols(), k = x.cols();
        ClCall.Mem bias = b == null ? new ClCall.Mem(c.dummy()) : b.buf();
        int biasOff = b == null ? 0 : b.off(), hasBias = b == null ? 0 : 1, bWt = b == null ? 0 : b.wt();
        if (m > GEMV_MAX_ROWS) {
            return ClCall.of("matmul", "matmul_tiled", g(roundUp(n, 64) / 4, roundUp(m, 64) / 4), g(16, 16), x.buf(), x.off(), x.stride(),
                    w.buf(), w.wt(), w.off(), w.stride(), bias, bWt, biasOff, hasBias, out.buf(), out.off(), out.stride(), m, n, k,
                    layout == WeightLayout.OUT_IN ? 1 : 0);
        }
        if (layout == WeightLayout.OUT_IN) {
            int vec4 = w.off() % 4 == 0 && w.stride() % 4 == 0 ? 1 : 0;
            return ClCall.of("matmul", "gemv_out_in", g(roundUp(n, 4) * 64), g(256), x.buf(), x.off(), x.stride(),
                    w.buf(), w.wt(), w.off(), w.stride(), vec4, bias, bWt, biasOff, hasBias, out.buf(), out.off(), out.stride(), m, n, k);
        }
        return ClCall.of("matmul", "gemv_in_out", g(roundUp(n, 64), 4), g(64, 4), x.buf(), x.off(), x.stride(),
                w.buf(), w.wt(), w.off(), w.stride(), bias, bWt, biasOff, hasBias, out.buf(), out.off(), out.stride(), m, n, k);
    }

    private static long roundUp(long v, long to) { return (v + to - 1) / to * to; }

    private static List<ClCall> attention(Attention a, Context c, ClTensor out) {
        AttentionSpec s = a.spec();
        ClTensor q = c.tensor(a.q()), k = c.tensor(a.k()), v = c.tensor(a.v()), past = c.tensor(a.past()), slots = c.tensor(a.slots());
        ClTensor mask = a.mask() == null ? null : c.tensor(a.mask());
        ClTensor bias = a.bias() == null ? null : c.tensor(a.bias());
        List<ClCall> plan = new ArrayList<>();
        long kc = c.dummy(), vc = c.dummy();
        int capacity = 0;
        if (s.cached()) {
            capacity = c.kvSpec().capacity();
            kc = c.kvKeys(s.cacheLayer());
            vc = c.kvValues(s.cacheLayer());
            plan.add(ClCall.of("attention", "kv_append", g((long) s.batch() * s.seqLen() * 64), g(64), k.buf(), k.off(), k.stride(), v.buf(), v.off(), v.stride(),
                    past.buf(), past.off(), slots.buf(), slots.off(), new ClCall.Mem(kc), new ClCall.Mem(vc), capacity, s.kvHeads() * s.headDim(), s.seqLen()));
        }
        // Pairs per work-group: hpg heads of one KV group × rpg rows (attention.cl's header).
        int hpg = Math.min(ATT_PAIRS, s.groupSize()), rpg = Math.min(ATT_PAIRS / hpg, s.seqLen());
        long chunks = (s.groupSize() + hpg - 1) / hpg, blocks = (s.seqLen() + rpg - 1) / rpg;
        plan.add(ClCall.of("attention", "attention", g(s.batch() * blocks * 64, s.kvHeads() * chunks), g(64, 1),
                q.buf(), q.off(), q.stride(), k.buf(), k.off(), k.stride(), v.buf(), v.off(), v.stride(), new ClCall.Mem(kc), new ClCall.Mem(vc),
                capacity, s.cached() ? 1 : 0, past.buf(), past.off(), slots.buf(), slots.off(),
                mask == null ? new ClCall.Mem(c.dummy()) : mask.buf(), mask == null ? 0 : mask.off(), mask == null ? 0 : mask.stride(),
                mask == null ? 0 : mask.cols(), mask == null ? 0 : 1,
                bias == null ? new ClCall.Mem(c.dummy()) : bias.buf(), bias == null ? 0 : bias.off(), bias == null ? 0 : bias.stride(),
                a.biasKeyCols(), bias == null ? 0 : 1, out.buf(), out.off(), out.stride(),
                s.seqLen(), s.kvLen(), s.heads(), s.kvHeads(), s.headDim(), s.scale(), s.causal() ? 1 : 0, hpg, rpg));
        return plan;
    }
}
