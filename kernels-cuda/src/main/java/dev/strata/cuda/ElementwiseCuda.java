// Launch plans for the simple row and elementwise ops: embedding, norms, rope, softmax,
// activations, add, scale, argmax, sample (one kernel each; see KERNELS.md).
package dev.strata.cuda;

import dev.strata.engine.ops.*;
import java.util.ArrayList;
import java.util.List;

final class ElementwiseCuda {
    static final int BLOCK = 256;
    /** Grid-stride kernels: enough blocks to fill an H100 (132 SMs) several times, no more. */
    static final int MAX_GRID = 132 * 8;

    private ElementwiseCuda() {}

    static int grid(long elements) { return (int) Math.max(1, Math.min(MAX_GRID, (elements + BLOCK - 1) / BLOCK)); }

    static List<Launch> embedding(Embedding e, PlanContext c, DevTensor out) {
        DevTensor table = c.tensor(e.table()), ids = c.tensor(e.ids());
        return List.of(Launch.Kernel.of("embedding", "embedding_" + table.suffix(), out.rows(), BLOCK,
                table.ptr(), table.stride(), ids.ptr(), out.ptr(), out.stride(), out.rows(), out.cols()));
    }

    static List<Launch> rmsNorm(RmsNorm n, PlanContext c, DevTensor out) {
        return List.of(rmsNorm(c.tensor(n.x()), c.tensor(n.weight()), n.eps(), out));
    }

    static Launch rmsNorm(DevTensor x, DevTensor w, float eps, DevTensor out) {
        return Launch.Kernel.of("rms_norm", "rms_norm_" + w.suffix(), x.rows(), BLOCK, x.ptr(), x.stride(), w.ptr(), out.ptr(), out.stride(), x.cols(), eps);
    }

    static List<Launch> layerNorm(LayerNorm n, PlanContext c, DevTensor out) {
        DevTensor x = c.tensor(n.x()), w = c.tensor(n.weight());
        if (n.bias() != null && c.tensor(n.bias()).dtype() != w.dtype()) {
            throw new IllegalArgumentException("layer_norm weight " + w.dtype() + " and bias " + c.tensor(n.bias()).dtype() + " must share a dtype on CUDA");
        }
        Launch.Ptr bias = n.bias() == null ? new Launch.Ptr(0) : c.tensor(n.bias()).ptr();
        return List.of(Launch.Kernel.of("layer_norm", "layer_norm_" + w.suffix(), x.rows(), BLOCK,
                x.ptr(), x.stride(), w.ptr(), bias, out.ptr(), out.stride(), x.cols(), n.eps()));
    }

    static List<Launch> rope(Rope r, PlanContext c, DevTensor out) {
        return List.of(rope(c.tensor(r.x()), c.tensor(r.positions()), c.tensor(r.invFreq()), r.heads(), r.headDim(), r.rotaryDims(), out));
    }

    /** RoPE of x's rows into out (which may alias x); invFreq F32, BF16 or F16 (rope_{suffix}). */
    static Launch rope(DevTensor x, DevTensor positions, DevTensor invFreq, int heads, int headDim, int rotaryDims, DevTensor out) {
        return Launch.Kernel.of("rope", "rope_" + invFreq.suffix(), x.rows(), BLOCK, x.ptr(), x.stride(), positions.ptr(),
                invFreq.ptr(), out.ptr(), out.stride(), heads, headDim, rotaryDims);
    }

    static List<Launch> softmax(Softmax s, PlanContext c, DevTensor out) {
        DevTensor x = c.tensor(s.x());
        return List.of(Launch.Kernel.of("softmax", "softmax_f32", x.rows(), BLOCK, x.ptr(), x.stride(), out.ptr(), out.stride(), x.cols()));
    }

    static int code(Activation a) {
        return switch (a) {
            case SILU -> 0;
            case GELU_ERF -> 1;
            case GELU_TANH -> 2;
            case RELU -> 3;
            case TANH -> 4;
        };
    }

    static List<Launch> activate(Activate a, PlanContext c, DevTensor out) {
        return List.of(activate(c.tensor(a.x()), a.act(), out));
    }

    /** out = act(x), elementwise; out may alias x. */
    static Launch activate(DevTensor x, Activation act, DevTensor out) {
        return Launch.Kernel.of("activate", "activate_f32", grid(x.rows() * (long) x.cols()), BLOCK,
                x.ptr(), x.stride(), out.ptr(), out.stride(), x.rows(), x.cols(), code(act));
    }

    static List<Launch> gated(GatedActivate g, PlanContext c, DevTensor out) {
        return List.of(gated(c.tensor(g.gate()), c.tensor(g.up()), g.act(), out));
    }

    static Launch gated(DevTensor gate, DevTensor up, Activation act, DevTensor out) {
        return Launch.Kernel.of("gated_activate", "gated_activate_f32", grid(gate.rows() * (long) gate.cols()), BLOCK,
                gate.ptr(), gate.stride(), up.ptr(), up.stride(), out.ptr(), out.stride(), gate.rows(), gate.cols(), code(act));
    }

    static List<Launch> add(Add a, PlanContext c, DevTensor out) {
        return List.of(add(c.tensor(a.a()), c.tensor(a.b()), out));
    }

    /** out = x + y, y a single row broadcast over x's rows or x's shape; out may alias x or y. */
    static Launch add(DevTensor x, DevTensor y, DevTensor out) {
        int yStride = y.rows() == 1 && x.rows() != 1 ? 0 : y.stride();
        return Launch.Kernel.of("add", "add_f32", grid(x.rows() * (long) x.cols()), BLOCK,
                x.ptr(), x.stride(), y.ptr(), yStride, out.ptr(), out.stride(), x.rows(), x.cols());
    }

    /** scale.cu's condition for float4s: cols and both strides multiples of 4, both tensors 16-byte aligned (so every row is). */
    static boolean scaleMovesVectors(DevTensor x, DevTensor out) {
        return x.cols() % 4 == 0 && x.stride() % 4 == 0 && out.stride() % 4 == 0 && x.address() % 16 == 0 && out.address() % 16 == 0;
    }

    /** scale_f32 moves float4s where scaleMovesVectors: a grid for a quarter of the elements. */
    static List<Launch> scale(Scale s, PlanContext c, DevTensor out) {
        DevTensor x = c.tensor(s.x());
        boolean vec = scaleMovesVectors(x, out);
        return List.of(Launch.Kernel.of("scale", "scale_f32", grid(x.rows() * (long) x.cols() / (vec ? 4 : 1)), BLOCK,
                x.ptr(), x.stride(), out.ptr(), out.stride(), x.rows(), x.cols(), s.factor()));
    }

    /**
     * Whether a row's argmax (argmax_f32, and sample_f32's greedy rows) is split over
     * argmaxSplits(cols) blocks whose last merges the parts, rather than one 1024-thread block
     * reading the whole row: system property strata.cuda.argmaxSplit, off (the default until timed
     * on a GPU: a greedy draw from 128,256 logits took 12 µs of a ~1,450 µs batch-1 step on an
     * H100) or on.
     */
    static final boolean ARGMAX_SPLIT = CudaSwitches.property("strata.cuda.argmaxSplit", "off");
    /** Row elements per split block at least: 8 in flight per thread of 1024 (one trip). */
    static final int ARGMAX_SPLIT_COLS = 8192;
    static final int ARGMAX_MAX_SPLITS = 32;

    /** Blocks per row of a split argmax: one per ARGMAX_SPLIT_COLS elements, at most ARGMAX_MAX_SPLITS. */
    static int argmaxSplits(int cols) { return (int) Math.min(ARGMAX_MAX_SPLITS, Math.max(1, ((long) cols + ARGMAX_SPLIT_COLS - 1) / ARGMAX_SPLIT_COLS)); }

    static List<Launch> argmax(Argmax a, PlanContext c, DevTensor out) { return argmax(a, c, out, ARGMAX_SPLIT); }

    static List<Launch> argmax(Argmax a, PlanContext c, DevTensor out, boolean split) {
        DevTensor x = c.tensor(a.x());
        return List.of(argmaxKernel(c, "argmax", x, out.ptr(), split ? argmaxSplits(x.cols()) : 1));
    }

    /** argmax_f32 over x's rows into out (I32, one per row), split `splits` ways with scratch named after op. */
    private static Launch.Kernel argmaxKernel(PlanContext c, String op, DevTensor x, Launch.Ptr out, int splits) {
        List<Object> args = new ArrayList<>(List.of(x.ptr(), x.stride(), out, x.cols()));
        args.addAll(splitScratch(c, op, x.rows(), splits, 1));
        return new Launch.Kernel("argmax", "argmax_f32", x.rows(), splits, 1, 1024, 0, List.copyOf(args));
    }

    /**
     * partV, partI and counters of a row argmax split `splits` ways (split_argmax_merge in
     * strata_cuda.cuh): rows·splits floats and ints, and countersPerRow·rows zeroed ints; null
     * pointers for one split.
     */
    private static List<Object> splitScratch(PlanContext c, String op, int rows, int splits, int countersPerRow) {
        if (splits == 1) return List.of(new Launch.Ptr(0), new Launch.Ptr(0), new Launch.Ptr(0));
        long parts = (long) rows * splits * Float.BYTES;
        long partV = c.scratch(op + "_split_parts", 2 * parts);
        long counters = c.zeroedScratch(op + "_split_counters", (long) countersPerRow * rows * Integer.BYTES);
        return List.of(new Launch.Ptr(partV), new Launch.Ptr(partV + parts), new Launch.Ptr(counters));
    }

    /**
     * Whether sample_f32 may keep a top-k row's keys at or above its floor in shared memory and run
     * the later passes over those (two reads of the row instead of up to ten); system property
     * strata.cuda.sampleCompact, on (the default: a top-k 40 row in 104 instead of 283 µs on an
     * H100, the same draws; sample.cl does the same on OpenCL) or off.
     */
    static final boolean SAMPLE_COMPACT = CudaSwitches.property("strata.cuda.sampleCompact", "on");

    /**
     * Whether sample_f32 finds the top-p cut by rejection (a draw, then one pass testing it, as the
     * fast CPU backend's SampleCpu.sampleByRejection) instead of four radix passes over masses;
     * system property strata.cuda.sampleTopPRejection, on (the default: a top-p 0.95 row in 106
     * instead of 579 µs on an H100, the same draws) or off.
     */
    static final boolean SAMPLE_TOP_P_REJECTION = CudaSwitches.property("strata.cuda.sampleTopPRejection", "on");

    /**
     * Whether sample_f32 picks each radix pass's digit with one warp (8 bins a lane and a scan over
     * the lanes) instead of one thread walking up to 256 bins, the same digit: system property
     * strata.cuda.sampleWarpPick, off (the default until timed on a GPU; a top-k 40 / top-p 0.95 row
     * runs up to 8 such passes, ~82 µs a row on an H100) or on.
     */
    static final boolean SAMPLE_WARP_PICK = CudaSwitches.property("strata.cuda.sampleWarpPick", "off");

    /**
     * Whether a top-k row (1 < top-k, top-k · splits <= 1024: up to 64 at 128,256 tokens) is drawn by
     * argmaxSplits(cols) blocks instead of one: each appends its part's keys (never -inf) at or above
     * its own top-k floor to the row's candidates, and the row's last block runs the cuts and the
     * draw over those (the same draw). System property
     * strata.cuda.sampleSplitTopK, off (the default until timed on a GPU: one block read a
     * 128,256-token row twice, ~82 µs of a batch-1 step on an H100) or on. It splits the launch, so
     * greedy rows are split too, as under strata.cuda.argmaxSplit.
     */
    static final boolean SAMPLE_SPLIT_TOP_K = CudaSwitches.property("strata.cuda.sampleSplitTopK", "off");

    /** sample.cu's CAND_CAP: candidates a row keeps (shared memory; global memory with the split top-k). */
    static final int SAMPLE_CANDIDATES = 2048;

    /**
     * Whether a row drawn from every token (no top-k cut) is drawn by argmaxSplits(cols) blocks: an
     * argmax_f32 launch first finds each row's maximum, then every block of sample_f32 scores its
     * part and the last merges the parts' best, the same draw. A top-p row (with top-p by
     * rejection) takes that draw as its first and the parts' masses as Z, and a third launch tests
     * it over the parts (two split passes instead of three passes by one block). System property
     * strata.cuda.sampleSplitDraw, off (the default until timed on a GPU: one block read a
     * 128,256-token row twice, ~79 µs a row at T=1 on an H100) or on. Two launches more per step;
     * greedy rows then take that argmax, and the launch is split as under strata.cuda.argmaxSplit.
     */
    static final boolean SAMPLE_SPLIT_DRAW = CudaSwitches.property("strata.cuda.sampleSplitDraw", "off");

    /** sample_f32's option bit for the split draw's test launch (top-p rows), and the options' argument position. */
    static final int SAMPLE_TEST_LAUNCH = 16, SAMPLE_OPTIONS_ARG = 6;

    /** sample_f32's options from the switches: bit 0 compaction, bit 1 top-p by rejection, bit 2 the warp pick, bit 3 the split top-k. */
    static final int SAMPLE_OPTIONS = (SAMPLE_COMPACT ? 1 : 0) | (SAMPLE_TOP_P_REJECTION ? 2 : 0) | (SAMPLE_WARP_PICK ? 4 : 0)
            | (SAMPLE_SPLIT_TOP_K ? 8 : 0);

    /**
     * One 1024-thread block per logits row (sample.cu), and with ARGMAX_SPLIT, the split top-k or
     * the split draw, argmaxSplits(cols) per row.
     */
    static List<Launch> sample(Sample s, PlanContext c, DevTensor out) {
        return sample(s, c, out, SAMPLE_OPTIONS, ARGMAX_SPLIT || SAMPLE_SPLIT_TOP_K || SAMPLE_SPLIT_DRAW, SAMPLE_SPLIT_DRAW);
    }

    static List<Launch> sample(Sample s, PlanContext c, DevTensor out, int options, boolean split) { return sample(s, c, out, options, split, false); }

    /**
     * The same with the kernel's options chosen (SAMPLE_OPTIONS' bits); split: argmaxSplits(cols)
     * blocks per row, which draw greedy rows, and with option bit 3 top-k rows, together. The split
     * top-k's scratch: a second counter per row and SAMPLE_CANDIDATES floats and ints per row.
     * splitDraw (on a split launch): argmax_f32 into scratch first, whose result sample_f32 takes
     * as rowArgmax (null otherwise), and after sample_f32 its test launch (option bit 4, the same
     * arguments), which finishes top-p rows.
     */
    static List<Launch> sample(Sample s, PlanContext c, DevTensor out, int options, boolean split, boolean splitDraw) {
        DevTensor x = c.tensor(s.logits()), p = c.tensor(s.params());
        List<Object> args = new ArrayList<>(List.of(x.ptr(), x.stride(), p.ptr(), p.stride(), out.ptr(), x.cols(), options));
        int splits = split ? argmaxSplits(x.cols()) : 1;
        List<Launch> plan = new ArrayList<>();
        Launch.Ptr rowArgmax = new Launch.Ptr(0);
        if (splitDraw && splits > 1) {
            rowArgmax = new Launch.Ptr(c.scratch("sample_row_argmax", (long) x.rows() * Integer.BYTES));
            plan.add(argmaxKernel(c, "sample_argmax", x, rowArgmax, splits));
        }
        boolean splitTopK = splits > 1 && (options & 8) != 0;
        args.addAll(splitScratch(c, "sample", x.rows(), splits, splitTopK ? 2 : 1));
        if (splitTopK) {
            long values = (long) x.rows() * SAMPLE_CANDIDATES * Float.BYTES;
            long cand = c.scratch("sample_candidates", 2 * values);
            args.addAll(List.of(new Launch.Ptr(cand), new Launch.Ptr(cand + values)));
        } else {
            args.addAll(List.of(new Launch.Ptr(0), new Launch.Ptr(0)));
        }
        args.add(rowArgmax);
        // the split draw's parts of Z (then of the mass above the drawn token) for top-p rows, rows · splits u64, then each row's Z and token
        boolean splitDrawn = rowArgmax.address() != 0;
        args.add(splitDrawn ? new Launch.Ptr(c.scratch("sample_split_z", (long) x.rows() * (splits + 2) * Long.BYTES)) : new Launch.Ptr(0));
        plan.add(new Launch.Kernel("sample", "sample_f32", x.rows(), splits, 1, 1024, 0, List.copyOf(args)));
        if (splitDrawn) {
            // the test launch: top-p rows' rejection test of that draw, split the same way
            args.set(SAMPLE_OPTIONS_ARG, options | SAMPLE_TEST_LAUNCH);
            plan.add(new Launch.Kernel("sample", "sample_f32", x.rows(), splits, 1, 1024, 0, List.copyOf(args)));
        }
        return List.copyOf(plan);
    }
}
