// Launch plan for matmul. Kernel ladder, first match wins:
//  1. m ≤ GEMV_MAX_ROWS: own GEMV (gemv_out_in / gemv_in_out) — decode is memory-bound and the
//     GEMV streams each weight once with 16-byte loads for all rows (cuBLAS' GEMM path wastes
//     bandwidth at m = 1). One warp per column fills the GPU only when n / 8 blocks reach
//     SPLIT_BLOCKS_PER_SM per SM; below that (k/v projections of GQA models: n = 512 gives 64
//     blocks on 132 SMs) gemv_out_in_split shares each column among 8 / cols warps;
//  2. cuBLAS present: F32 weights → SGEMM (no TF32, so F32 results match the CPU reference);
//     BF16/F16 weights → activations cast to the weight dtype, GemmEx with F32 output and
//     compute (tensor cores), then the bias kernel;
//  3. no cuBLAS: the GEMV in chunks of GEMV_MAX_ROWS rows (correct, slow).
// A matmul with fused parts (prenorm, gate, rotary, residual; MatMul.java) is one gemv_fused launch for
// m ≤ GEMV_MAX_ROWS with an OUT_IN weight (decode); otherwise, and with a plain activation, its parts
// run as the kernels of the ops they stand for (rms_norm into scratch, the product above,
// activate or gated_activate, rope, add); so does a
// decode matmul whose parts strata.cuda.fusedGemv excludes (FUSED_PARTS).
package dev.strata.cuda;

import dev.strata.engine.ops.MatMul;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.engine.tensor.DType;
import dev.strata.nativelib.Cublas;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

final class MatMulCuda {
    static final int GEMV_MAX_ROWS = 8;
    static final int GEMV_WARPS_PER_BLOCK = 8;
    /**
     * Blocks per SM below which the split-K GEMV is used (resident 256-thread blocks per SM: 8);
     * system property strata.cuda.gemvSplitBlocksPerSm (1 to 8, default 2), for A/B timing.
     */
    static final int SPLIT_BLOCKS_PER_SM = splitBlocksPerSm(System.getProperty("strata.cuda.gemvSplitBlocksPerSm", "2"));

    static int splitBlocksPerSm(String value) { return CudaSwitches.intInRange("strata.cuda.gemvSplitBlocksPerSm", value, 1, 8); }

    /**
     * Columns per block of the fused decode GEMV without a gate, where n is large enough not to be
     * split (the 1B shape's stacked q/k/v projection: 3,072 columns, 384 blocks of 8, 0.73 of a
     * wave of 4 blocks per SM): 8, 4 or 2. System property strata.cuda.gemvCols (default 8), for A/B
     * timing.
     */
    static final int PLAIN_COLS = plainCols(System.getProperty("strata.cuda.gemvCols", "8"));

    static int plainCols(String value) { return CudaSwitches.columns("strata.cuda.gemvCols", value, false); }

    /**
     * Columns per block of the fused decode GEMV with a gate/up pair, where n is large enough not
     * to be split: 0 = 4 for one activation row (two warps share each column's k: the 1B shape's
     * gate/up takes 2,048 blocks, 5.2 waves of 3 blocks per SM on 132 SMs, instead of 1,024 in
     * 2.6 waves, whose last wave left SMs idle; +4.0% batch-1 decode on an H100) and 8 for more
     * rows (4 was 1.7% slower at batch 8); or 8, 4 or 2 for every row count. System property
     * strata.cuda.gemvGateCols (auto, 8, 4 or 2; default auto), for A/B timing.
     */
    static final int GATE_COLS = gateCols(System.getProperty("strata.cuda.gemvGateCols", "auto"));

    static int gateCols(String value) { return CudaSwitches.columns("strata.cuda.gemvGateCols", value, true); }

    /** Columns per block of the fused gate/up GEMV over `rows` activation rows (not split for small n). */
    static int gateCols(int rows, int setting) { return setting != 0 ? setting : rows == 1 ? 4 : GEMV_WARPS_PER_BLOCK; }

    /** Columns per block for gemv_out_in_split: the most (≤ 8, a power of two) that still give enough blocks; 0 = no split. */
    static int splitColumns(int n, int multiprocessors) {
        int wanted = SPLIT_BLOCKS_PER_SM * multiprocessors;
        if ((n + GEMV_WARPS_PER_BLOCK - 1) / GEMV_WARPS_PER_BLOCK >= wanted) return 0;
        int cols = 4;
        while (cols > 1 && (n + cols - 1) / cols < wanted) cols /= 2;
        return cols;
    }

    /**
     * The fused parts gemv_fused takes into its one launch (system property strata.cuda.fusedGemv:
     * a comma list of prenorm, gate, rotary, residual, or "none"); a matmul with any other part runs as
     * separate kernels. For timing the fusion against the separate kernels in one run.
     */
    static final Set<String> FUSED_PARTS = fusedParts(System.getProperty("strata.cuda.fusedGemv", "prenorm,gate,rotary,residual"));

    static Set<String> fusedParts(String list) {
        Set<String> parts = new HashSet<>();
        for (String p : list.split(",")) {
            String t = p.strip();
            if (t.isEmpty() || t.equals("none")) continue;
            if (!Set.of("prenorm", "gate", "rotary", "residual").contains(t)) {
                throw new IllegalArgumentException("strata.cuda.fusedGemv: unknown part '" + t + "'; expected prenorm, gate, rotary, residual or none");
            }
            parts.add(t);
        }
        return Set.copyOf(parts);
    }

    private MatMulCuda() {}

    static List<Launch> plan(MatMul mm, PlanContext c, DevTensor out) {
        DevTensor x = c.tensor(mm.x()), w = c.tensor(mm.w()), bias = optional(c, mm.bias(), w, "bias");
        if (!mm.fused()) return product(mm.layout(), x, w, bias, out, c);
        DevTensor up = mm.gate() == null ? null : c.tensor(mm.gate().up());
        DevTensor upBias = mm.gate() == null ? null : optional(c, mm.gate().upBias(), w, "up bias");
        DevTensor norm = mm.prenorm() == null ? null : c.tensor(mm.prenorm().weight());
        DevTensor residual = mm.residual() == null ? null : c.tensor(mm.residual());
        MatMul.Rotary rotary = mm.rotary();
        boolean oneKernel = x.rows() <= GEMV_MAX_ROWS && mm.layout() == WeightLayout.OUT_IN && (norm == null || norm.dtype() == w.dtype())
                && mm.activation() == null
                && (norm == null || FUSED_PARTS.contains("prenorm")) && (up == null || FUSED_PARTS.contains("gate"))
                && (residual == null || FUSED_PARTS.contains("residual"))
                // the kernel pairs RoPE halves by column parity, which needs an even head size
                && (rotary == null || FUSED_PARTS.contains("rotary") && rotary.headDim() % 2 == 0
                        // the epilogue reads F32 frequencies (the models' own constants); a checkpoint's 16-bit inv_freq takes rope_{suffix}
                        && c.tensor(rotary.invFreq()).dtype() == DType.F32);
        if (oneKernel) {
            Launch.Ptr none = new Launch.Ptr(0);
            int cols = splitColumns(out.cols(), c.multiprocessors());
            if (cols == 0) cols = up == null ? PLAIN_COLS : gateCols(x.rows(), GATE_COLS);
            if (rotary != null) cols = Math.max(2, cols); // both halves of a RoPE pair in one block
            String kernel = "gemv_fused_" + (up == null ? "" : "gate_") + (x.rows() == 1 ? "m1_" : "") + w.suffix();
            return List.of(Launch.Kernel.of("matmul_fused", kernel, (out.cols() + cols - 1) / cols, ElementwiseCuda.BLOCK,
                    x.ptr(), x.stride(), w.ptr(), w.stride(), ptr(bias), ptr(up), ptr(upBias), ptr(norm),
                    norm == null ? 0f : mm.prenorm().eps(), ptr(residual), residual == null ? 0 : residual.stride(), out.ptr(), out.stride(),
                    x.rows(), out.cols(), x.cols(), cols, up == null ? 0 : ElementwiseCuda.code(mm.gate().act()), norm == null ? 0 : 1,
                    rotary == null ? none : c.tensor(rotary.positions()).ptr(), rotary == null ? none : c.tensor(rotary.invFreq()).ptr(),
                    rotary == null ? 0 : rotary.headDim(), rotary == null ? 0 : rotary.rotaryDims(), rotary == null ? 0 : rotary.columns()));
        }
        // Prefill-sized (or IN_OUT, or a norm weight of another dtype): the parts as the kernels
        // of the ops they stand for, through scratch memory.
        List<Launch> plan = new ArrayList<>();
        if (norm != null) {
            DevTensor normed = new DevTensor(c.scratch("matmul_prenorm", 4L * x.rows() * x.cols()), x.rows(), x.cols(), x.cols(), DType.F32);
            plan.add(ElementwiseCuda.rmsNorm(x, norm, mm.prenorm().eps(), normed));
            x = normed;
        }
        if (up == null) {
            plan.addAll(product(mm.layout(), x, w, bias, out, c));
            if (mm.activation() != null) plan.add(ElementwiseCuda.activate(out, mm.activation(), out));
        } else {
            long bytes = 4L * out.rows() * out.cols();
            DevTensor gate = new DevTensor(c.scratch("matmul_gate", bytes), out.rows(), out.cols(), out.cols(), DType.F32);
            DevTensor upOut = new DevTensor(c.scratch("matmul_up", bytes), out.rows(), out.cols(), out.cols(), DType.F32);
            plan.addAll(product(mm.layout(), x, w, bias, gate, c));
            plan.addAll(product(mm.layout(), x, up, upBias, upOut, c));
            plan.add(ElementwiseCuda.gated(gate, upOut, mm.gate().act(), out));
        }
        if (rotary != null) {
            plan.add(ElementwiseCuda.rope(out, c.tensor(rotary.positions()), c.tensor(rotary.invFreq()), rotary.heads(), rotary.headDim(),
                    rotary.rotaryDims(), out));
        }
        if (residual != null) plan.add(ElementwiseCuda.add(out, residual, out));
        return plan;
    }

    private static Launch.Ptr ptr(DevTensor t) { return t == null ? new Launch.Ptr(0) : t.ptr(); }

    private static DevTensor optional(PlanContext c, dev.strata.engine.graph.Tensor t, DevTensor w, String what) {
        if (t == null) return null;
        DevTensor d = c.tensor(t);
        if (d.dtype() != w.dtype()) throw new IllegalArgumentException("matmul " + what + " " + d.dtype() + " and weight " + w.dtype() + " must share a dtype on CUDA");
        return d;
    }

    /** out = x·W (+ bias): the GEMV ladder for few rows, else cuBLAS. */
    private static List<Launch> product(WeightLayout layout, DevTensor x, DevTensor w, DevTensor bias, DevTensor out, PlanContext c) {
        int m = x.rows(), k = x.cols(), n = out.cols();
        List<Launch> plan = new ArrayList<>();
        if (m <= GEMV_MAX_ROWS || !c.cublas()) {
            for (int r = 0; r < m; r += GEMV_MAX_ROWS) {
                int rows = Math.min(GEMV_MAX_ROWS, m - r);
                plan.add(gemv(layout, x.rows(r, rows), w, bias, out.rows(r, rows), n, k, c.multiprocessors()));
            }
            return plan;
        }
        int transA = layout == WeightLayout.OUT_IN ? Cublas.OP_T : Cublas.OP_N;
        if (w.dtype() == DType.F32) {
            plan.add(new Launch.Gemm(transA, Cublas.OP_N, n, m, k, w.address(), Cublas.R_32F, w.stride(), x.address(), x.stride(), out.address(), out.stride()));
        } else {
            long xs = c.scratch("matmul_cast", (long) m * k * 2);
            plan.add(new Launch.Kernel("matmul", "cast_f32_to_" + w.suffix(), ElementwiseCuda.grid((long) m * k), 1, 1, ElementwiseCuda.BLOCK, 0,
                    List.of(x.ptr(), x.stride(), new Launch.Ptr(xs), m, k)));
            int type = w.dtype() == DType.BF16 ? Cublas.R_16BF : Cublas.R_16F;
            plan.add(new Launch.Gemm(transA, Cublas.OP_N, n, m, k, w.address(), type, w.stride(), xs, k, out.address(), out.stride()));
        }
        if (bias != null) {
            plan.add(new Launch.Kernel("matmul", "add_bias_" + bias.suffix(), ElementwiseCuda.grid((long) m * n), 1, 1, ElementwiseCuda.BLOCK, 0,
                    List.of(out.ptr(), out.stride(), bias.ptr(), m, n)));
        }
        return plan;
    }

    private static Launch gemv(WeightLayout layout, DevTensor x, DevTensor w, DevTensor bias, DevTensor out, int n, int k, int sms) {
        Launch.Ptr b = bias == null ? new Launch.Ptr(0) : bias.ptr();
        boolean outIn = layout == WeightLayout.OUT_IN;
        int cols = outIn ? splitColumns(n, sms) : 0;
        if (cols > 0) {
            return Launch.Kernel.of("matmul", "gemv_out_in_split_" + w.suffix(), (n + cols - 1) / cols, ElementwiseCuda.BLOCK,
                    x.ptr(), x.stride(), w.ptr(), w.stride(), b, out.ptr(), out.stride(), x.rows(), n, k, cols);
        }
        // out_in: one warp per column; in_out: one lane per column, the 8 warps split k (32 columns per block).
        int grid = outIn ? (n + GEMV_WARPS_PER_BLOCK - 1) / GEMV_WARPS_PER_BLOCK : (n + 31) / 32;
        return Launch.Kernel.of("matmul", (outIn ? "gemv_out_in_" : "gemv_in_out_") + w.suffix(), grid, ElementwiseCuda.BLOCK,
                x.ptr(), x.stride(), w.ptr(), w.stride(), b, out.ptr(), out.stride(), x.rows(), n, k);
    }
}
