// Launch plans of every op on OpenCL (exhaustive over the closed op set). Each tensor is passed
// as (buffer, element offset, row stride); a tensor a kernel may read as a weight (matmul W and
// biases, norm weights, embedding tables, RoPE frequencies) also passes its dtype code (wt()):
// weights stay F32, F16 or BF16 on the device and kernels widen them on load.
// Matmul ladder: m ≤ GEMV_MAX_ROWS → GEMV (decode; OUT_IN weights take every fused part in the
// one launch); larger m → register-blocked tiled GEMM (prefill) whose epilogue applies the
// activation, a gate's act(gate) · up and the residual, with prenorm and RoPE as their own kernels.
package dev.strata.opencl;

import dev.strata.engine.graph.Tensor;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.ops.*;
import dev.strata.engine.tensor.DType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

final class ClLaunchPlans {
    static final int GEMV_MAX_ROWS = 8;
    /**
     * (query row, query head) pairs per attention work-group (attention.cl's ATT_GH): the heads of
     * one KV group (or a chunk of a larger one) times as many consecutive rows as fit.
     */
    static final int ATT_PAIRS = 8;
    /** Query rows per attention_prefill work-group (attention.cl's FA_BQ). */
    static final int PREFILL_ROWS = 64;
    /** Largest head size attention_prefill takes (attention.cl's FA_MAXD). */
    static final int PREFILL_MAX_HEAD_DIM = 128;
    /** MatMul's parts, in the order the kernels apply them. */
    static final List<String> PARTS = List.of("prenorm", "gate", "activation", "rotary", "residual");

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
            case MatMul mm -> matmul(mm, c, out, FUSED_PARTS);
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
            case Sample sa -> {
                ClTensor x = c.tensor(sa.logits()), p = c.tensor(sa.params());
                yield List.of(ClCall.of("sample", "sample", g(x.rows() * 256L), g(256), x.buf(), x.off(), x.stride(), p.buf(), p.off(), p.stride(),
                        out.buf(), out.off(), x.cols()));
            }
        };
    }

    /**
     * The fused parts gemv_out_in takes into its one launch (system property
     * strata.opencl.fusedGemv: a comma list of prenorm, gate, activation, rotary, residual, or
     * "none"); the others run as the kernels of the ops they stand for. For timing the fusion
     * against the separate kernels in one run.
     */
    static final Set<String> FUSED_PARTS = fusedParts(System.getProperty("strata.opencl.fusedGemv", String.join(",", PARTS)));

    static Set<String> fusedParts(String list) {
        Set<String> parts = new HashSet<>();
        for (String p : list.split(",")) {
            String t = p.strip();
            if (t.isEmpty() || t.equals("none")) continue;
            if (!PARTS.contains(t)) {
                throw new IllegalArgumentException("strata.opencl.fusedGemv: unknown part '" + t + "'; expected " + String.join(", ", PARTS) + " or none");
            }
            parts.add(t);
        }
        return Set.copyOf(parts);
    }

    /**
     * A matmul and its fused parts. Decode with an OUT_IN weight (m ≤ GEMV_MAX_ROWS): one
     * gemv_out_in[_gate] launch takes every part FUSED_PARTS allows (RoPE when the head size is
     * even). Otherwise: rms_norm into scratch for a prenorm; for a gate, the gate product into
     * scratch and the up product with act(gate) · up in its epilogue; the activation and (without
     * rotary) the residual in the product's epilogue; then rope and the residual add as their own kernels.
     */
    static List<ClCall> matmul(MatMul mm, Context c, ClTensor out, Set<String> fusedParts) {
        ClTensor x = c.tensor(mm.x());
        if (x.rows() <= GEMV_MAX_ROWS && mm.layout() == WeightLayout.OUT_IN) return gemvPlan(mm, x, c, out, fusedParts);
        List<ClCall> plan = new ArrayList<>();
        if (mm.prenorm() != null) x = prenormed(x, mm.prenorm(), c, plan);
        ClTensor residual = mm.residual() == null || mm.rotary() != null ? null : c.tensor(mm.residual());
        if (mm.gate() == null) {
            plan.add(product(x, c.tensor(mm.w()), mm.bias(), mm.layout(), c, new Epilogue(null, mm.activation(), residual), out));
        } else {
            ClTensor gate = ClTensor.f32(c.scratch("matmul_gate", 4L * out.rows() * out.cols()), out.rows(), out.cols());
            plan.add(product(x, c.tensor(mm.w()), mm.bias(), mm.layout(), c, Epilogue.NONE, gate));
            plan.add(product(x, c.tensor(mm.gate().up()), mm.gate().upBias(), mm.layout(), c, new Epilogue(gate, mm.gate().act(), residual), out));
        }
        if (mm.rotary() != null) {
            MatMul.Rotary ro = mm.rotary();
            plan.add(rope(out, c.tensor(ro.positions()), c.tensor(ro.invFreq()), ro.heads(), ro.headDim(), ro.rotaryDims(), out));
            if (mm.residual() != null) plan.add(add(out, c.tensor(mm.residual()), out));
        }
        return plan;
    }

    /** Decode OUT_IN matmul: gemv_out_in with the parts fusedParts allows, the rest after it. */
    private static List<ClCall> gemvPlan(MatMul mm, ClTensor x, Context c, ClTensor out, Set<String> fusedParts) {
        List<ClCall> plan = new ArrayList<>();
        ClTensor w = c.tensor(mm.w()), bias = optional(c, mm.bias());
        MatMul.Prenorm norm = mm.prenorm();
        if (norm != null && !fusedParts.contains("prenorm")) {
            x = prenormed(x, norm, c, plan);
            norm = null;
        }
        // the kernel pairs RoPE halves by column parity, which needs an even head size
        MatMul.Rotary rot = mm.rotary() != null && fusedParts.contains("rotary") && mm.rotary().headDim() % 2 == 0 ? mm.rotary() : null;
        ClTensor res = mm.residual() != null && fusedParts.contains("residual") && (mm.rotary() == null || rot != null) ? c.tensor(mm.residual()) : null;
        Activation act = fusedParts.contains("activation") ? mm.activation() : null;
        MatMul.Gate gate = mm.gate();
        if (gate != null && !fusedParts.contains("gate")) {
            long bytes = 4L * out.rows() * out.cols();
            ClTensor g = ClTensor.f32(c.scratch("matmul_gate", bytes), out.rows(), out.cols());
            ClTensor u = ClTensor.f32(c.scratch("matmul_up", bytes), out.rows(), out.cols());
            plan.add(gemvOutIn(x, w, bias, null, null, norm, null, null, null, c, g));
            plan.add(gemvOutIn(x, c.tensor(gate.up()), optional(c, gate.upBias()), null, null, norm, null, null, null, c, u));
            plan.add(gated(g, u, gate.act(), out));
            rot = null;
            res = null;
        } else {
            plan.add(gemvOutIn(x, w, bias, gate == null ? null : c.tensor(gate.up()), gate == null ? null : optional(c, gate.upBias()), norm,
                    gate != null ? gate.act() : act, rot, res, c, out));
        }
        if (gate == null && mm.activation() != null && act == null) plan.add(activate(out, mm.activation(), out));
        if (mm.rotary() != null && rot == null) {
            MatMul.Rotary ro = mm.rotary();
            plan.add(rope(out, c.tensor(ro.positions()), c.tensor(ro.invFreq()), ro.heads(), ro.headDim(), ro.rotaryDims(), out));
        }
        if (mm.residual() != null && res == null) plan.add(add(out, c.tensor(mm.residual()), out));
        return plan;
    }

    /** x normalised by the prenorm's RMSNorm into the matmul_prenorm scratch, the rms_norm launch added to plan. */
    private static ClTensor prenormed(ClTensor x, MatMul.Prenorm norm, Context c, List<ClCall> plan) {
        ClTensor normed = ClTensor.f32(c.scratch("matmul_prenorm", 4L * x.rows() * x.cols()), x.rows(), x.cols());
        plan.add(rmsNorm(x, c.tensor(norm.weight()), norm.eps(), normed));
        return normed;
    }

    private static ClTensor optional(Context c, Tensor t) { return t == null ? null : c.tensor(t); }

    /**
     * What a product's kernel does after x·W + b (matmul.cl's mm_epilogue): act(gateIn) · v when
     * gateIn is set (act is the gate's activation), else act(v) when act is set; then + residual.
     */
    record Epilogue(ClTensor gateIn, Activation act, ClTensor residual) {
        static final Epilogue NONE = new Epilogue(null, null, null);

        List<Object> args(Context c) {
            ClCall.Mem none = new ClCall.Mem(c.dummy());
            return List.of(gateIn == null ? none : gateIn.buf(), gateIn == null ? 0 : gateIn.off(), gateIn == null ? 0 : gateIn.stride(), gateIn == null ? 0 : 1,
                    actCode(act), residual == null ? none : residual.buf(), residual == null ? 0 : residual.off(), residual == null ? 0 : residual.stride(),
                    residual == null ? 0 : 1);
        }
    }

    /** matmul.cl's activation code, ACT_NONE (-1) for none. */
    private static int actCode(Activation a) { return a == null ? -1 : act(a); }

    /**
     * One gemv_out_in[_gate] launch (matmul.cl): out = x·W + b with, where given, the prenorm, the
     * gate (up weight and bias; act is then the gate's activation), a plain activation, RoPE and
     * the residual.
     */
    private static ClCall gemvOutIn(ClTensor x, ClTensor w, ClTensor bias, ClTensor up, ClTensor upBias, MatMul.Prenorm norm, Activation act,
                                    MatMul.Rotary ro, ClTensor res, Context c, ClTensor out) {
        ClCall.Mem none = new ClCall.Mem(c.dummy());
        List<Object> a = new ArrayList<>(List.of(x.buf(), x.off(), x.stride()));
        boolean vec4 = w.off() % 4 == 0 && w.stride() % 4 == 0 && (up == null || up.off() % 4 == 0 && up.stride() % 4 == 0);
        a.addAll(List.of(w.buf(), w.wt(), w.off(), w.stride(), vec4 ? 1 : 0));
        addWeightVector(a, bias, none);
        a.addAll(up == null ? List.of(none, 0, 0, 0) : List.of(up.buf(), up.wt(), up.off(), up.stride()));
        addWeightVector(a, upBias, none);
        addWeightVector(a, norm == null ? null : c.tensor(norm.weight()), none);
        a.add(norm == null ? 0f : norm.eps());
        a.add(actCode(act));
        if (ro == null) {
            a.addAll(List.of(none, 0, none, 0, 0, 0, 0, 0));
        } else {
            ClTensor pos = c.tensor(ro.positions()), inv = c.tensor(ro.invFreq());
            a.addAll(List.of(pos.buf(), pos.off(), inv.buf(), inv.wt(), inv.off(), ro.headDim(), ro.rotaryDims(), ro.columns()));
        }
        a.addAll(res == null ? List.of(none, 0, 0, 0) : List.of(res.buf(), res.off(), res.stride(), 1));
        a.addAll(List.of(out.buf(), out.off(), out.stride(), x.rows(), out.cols(), x.cols()));
        return new ClCall("matmul", up == null ? "gemv_out_in" : "gemv_out_in_gate", g(roundUp(out.cols(), 4) * 64), g(256), List.copyOf(a));
    }

    /** (buffer, dtype code, offset, present) of an optional weight vector (bias, norm weight). */
    private static void addWeightVector(List<Object> args, ClTensor t, ClCall.Mem none) {
        args.addAll(t == null ? List.of(none, 0, 0, 0) : List.of(t.buf(), t.wt(), t.off(), 1));
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
     * out = epilogue(x·W (+ bias)) for the paths other than the fused OUT_IN GEMV. Ladder:
     * 1. m ≤ GEMV_MAX_ROWS (IN_OUT weights) → gemv_in_out (decode): W is read once for all rows,
     *    coalesced along n.
     * 2. else → 64×64 register-blocked tiled GEMM (prefill). PoCL, 128×2048×2048: 157 ms vs
     *    283 ms for the 16×16 one-output-per-work-item kernel it replaced. GPU figures not yet measured.
     */
    private static ClCall product(ClTensor x, ClTensor w, Tensor biasTensor, WeightLayout layout, Context c, Epilogue epi, ClTensor out) {
        ClTensor b = biasTensor == null ? null : c.tensor(biasTensor);
        int m = x.rows(), n = out.cols(), k = x.cols();
        List<Object> a = new ArrayList<>(List.of(x.buf(), x.off(), x.stride(), w.buf(), w.wt(), w.off(), w.stride()));
        addWeightVector(a, b, new ClCall.Mem(c.dummy()));
        a.addAll(epi.args(c));
        a.addAll(List.of(out.buf(), out.off(), out.stride(), m, n, k));
        if (m > GEMV_MAX_ROWS) {
            a.add(layout == WeightLayout.OUT_IN ? 1 : 0);
            return new ClCall("matmul", "matmul_tiled", g(roundUp(n, 64) / 4, roundUp(m, 64) / 4), g(16, 16), List.copyOf(a));
        }
        if (layout == WeightLayout.OUT_IN) throw new IllegalStateException("OUT_IN decode matmuls take gemv_out_in");
        return new ClCall("matmul", "gemv_in_out", g(roundUp(n, 64), 4), g(64, 4), List.copyOf(a));
    }

    private static long roundUp(long v, long to) { return (v + to - 1) / to * to; }

    /**
     * Whether prefill-sized attention may take the flash-style kernel (system property
     * strata.opencl.prefillAttention: "flash", the default, or "group" to keep every attention on
     * the KV-group kernel, for A/B timing).
     */
    static final boolean FLASH_PREFILL = flashPrefill(System.getProperty("strata.opencl.prefillAttention", "flash"));

    static boolean flashPrefill(String value) {
        return switch (value) {
            case "flash" -> true;
            case "group" -> false;
            default -> throw new IllegalArgumentException("strata.opencl.prefillAttention: '" + value + "'; expected flash or group");
        };
    }

    /**
     * Whether attention takes the flash-style prefill kernel: more query rows per sequence than one
     * `attention` work-group's pairs and a head size it holds; decode and short chunks keep the
     * KV-group kernel, which loads each K/V tile once for all heads of a group.
     */
    static boolean prefillKernel(AttentionSpec s) { return FLASH_PREFILL && s.seqLen() > ATT_PAIRS && s.headDim() <= PREFILL_MAX_HEAD_DIM; }

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
        List<Object> args = new ArrayList<>(List.of(q.buf(), q.off(), q.stride(), k.buf(), k.off(), k.stride(), v.buf(), v.off(), v.stride(),
                new ClCall.Mem(kc), new ClCall.Mem(vc), capacity, s.cached() ? 1 : 0, past.buf(), past.off(), slots.buf(), slots.off(),
                mask == null ? new ClCall.Mem(c.dummy()) : mask.buf(), mask == null ? 0 : mask.off(), mask == null ? 0 : mask.stride(),
                mask == null ? 0 : mask.cols(), mask == null ? 0 : 1,
                bias == null ? new ClCall.Mem(c.dummy()) : bias.buf(), bias == null ? 0 : bias.off(), bias == null ? 0 : bias.stride(),
                a.biasKeyCols(), bias == null ? 0 : 1, out.buf(), out.off(), out.stride(),
                s.seqLen(), s.kvLen(), s.heads(), s.kvHeads(), s.headDim(), s.scale(), s.causal() ? 1 : 0));
        if (prefillKernel(s)) { // 64 query rows × 64-key tiles per work-group (attention.cl's attention_prefill)
            long blocks = (s.seqLen() + PREFILL_ROWS - 1) / PREFILL_ROWS;
            plan.add(new ClCall("attention", "attention_prefill", g(16 * s.batch() * blocks, 16L * s.heads()), g(16, 16), List.copyOf(args)));
            return plan;
        }
        // Pairs per work-group: hpg heads of one KV group × rpg rows (attention.cl's header).
        int hpg = Math.min(ATT_PAIRS, s.groupSize()), rpg = Math.min(ATT_PAIRS / hpg, s.seqLen());
        long chunks = (s.groupSize() + hpg - 1) / hpg, blocks = (s.seqLen() + rpg - 1) / rpg;
        args.addAll(List.of(hpg, rpg));
        plan.add(new ClCall("attention", "attention", g(s.batch() * blocks * 64, s.kvHeads() * chunks), g(64, 1), List.copyOf(args)));
        return plan;
    }
}
