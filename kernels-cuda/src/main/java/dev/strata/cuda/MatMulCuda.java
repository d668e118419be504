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
package dev.strata.cuda;

import dev.strata.engine.ops.MatMul;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.engine.tensor.DType;
import dev.strata.nativelib.Cublas;
import java.util.ArrayList;
import java.util.List;

final class MatMulCuda {
    static final int GEMV_MAX_ROWS = 8;
    static final int GEMV_WARPS_PER_BLOCK = 8;
    /** Blocks per SM below which the split-K GEMV is used (resident 256-thread blocks per SM: 8). */
    static final int SPLIT_BLOCKS_PER_SM = 2;

    /** Columns per block for gemv_out_in_split: the most (≤ 8, a power of two) that still give enough blocks; 0 = no split. */
    static int splitColumns(int n, int multiprocessors) {
        int wanted = SPLIT_BLOCKS_PER_SM * multiprocessors;
        if ((n + GEMV_WARPS_PER_BLOCK - 1) / GEMV_WARPS_PER_BLOCK >= wanted) return 0;
        int cols = 4;
        while (cols > 1 && (n + cols - 1) / cols < wanted) cols /= 2;
        return cols;
    }

    private MatMulCuda() {}

    static List<Launch> plan(MatMul mm, PlanContext c, DevTensor out) {
        DevTensor x = c.tensor(mm.x()), w = c.tensor(mm.w());
        DevTensor bias = mm.bias() == null ? null : c.tensor(mm.bias());
        if (bias != null && bias.dtype() != w.dtype()) {
            throw new IllegalArgumentException("matmul bias " + bias.dtype() + " and weight " + w.dtype() + " must share a dtype on CUDA");
        }
        int m = x.rows(), k = x.cols(), n = out.cols();
        List<Launch> plan = new ArrayList<>();
        if (m <= GEMV_MAX_ROWS || !c.cublas()) {
            for (int r = 0; r < m; r += GEMV_MAX_ROWS) {
                int rows = Math.min(GEMV_MAX_ROWS, m - r);
                plan.add(gemv(mm.layout(), x.rows(r, rows), w, bias, out.rows(r, rows), n, k, c.multiprocessors()));
            }
            return plan;
        }
        int transA = mm.layout() == WeightLayout.OUT_IN ? Cublas.OP_T : Cublas.OP_N;
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
