// CPU elementwise ops: activation, gated activation, add (with row broadcast), scale, softmax,
// embedding gather and argmax. Math in double, results stored as float; activations take the
// exact erf in reference mode and, in fast mode, GELU_ERF is computed in float lanes
// (VecMath.gelu, ~1e-7 absolute) and the others through Activation.applyFast.
package dev.strata.engine.cpu.kernels;

import dev.strata.engine.cpu.CpuParallel;
import dev.strata.engine.cpu.Mat;
import dev.strata.engine.cpu.simd.VecMath;
import dev.strata.engine.ops.Activation;

public final class ElementwiseCpu {
    private ElementwiseCpu() {}

    public static void activate(Mat x, Activation act, boolean reference, Mat out, CpuParallel par) {
        boolean lanes = lanes(act, reference);
        par.forRange(x.rows(), 1, (from, to) -> {
            float[] row = new float[x.cols()], tmp = lanes ? new float[x.cols()] : null;
            for (int r = from; r < to; r++) {
                x.readRow(r, row);
                activateRow(row, row.length, act, reference, tmp);
                out.writeRow(r, row);
            }
        });
    }

    /**
     * row[0, n) = act(row[0, n)) as the Activate op computes it (tmp: n floats of scratch for
     * the lane path, or null when {@link #needsScratch} is false); matmul epilogues share it so
     * a fused activation gives the op's bits.
     */
    static void activateRow(float[] row, int n, Activation act, boolean reference, float[] tmp) {
        if (lanes(act, reference)) VecMath.gelu(row, tmp, n);
        else for (int c = 0; c < n; c++) row[c] = (float) apply(act, reference, row[c]);
    }

    /** Whether activateRow needs its scratch array. */
    static boolean needsScratch(Activation act, boolean reference) { return lanes(act, reference); }

    public static void gated(Mat gate, Mat up, Activation act, boolean reference, Mat out, CpuParallel par) {
        boolean lanes = lanes(act, reference);
        par.forRange(gate.rows(), 1, (from, to) -> {
            float[] g = new float[gate.cols()], u = new float[gate.cols()], tmp = lanes ? new float[gate.cols()] : null;
            for (int r = from; r < to; r++) {
                gate.readRow(r, g);
                up.readRow(r, u);
                if (lanes) {
                    VecMath.gelu(g, tmp, g.length);
                    for (int c = 0; c < g.length; c++) g[c] *= u[c];
                } else {
                    for (int c = 0; c < g.length; c++) g[c] = (float) (apply(act, reference, g[c]) * u[c]);
                }
                out.writeRow(r, g);
            }
        });
    }

    /** Fast-mode GELU_ERF goes through VecMath.gelu in float lanes. */
    private static boolean lanes(Activation act, boolean reference) { return !reference && act == Activation.GELU_ERF; }

    private static double apply(Activation act, boolean reference, double x) {
        return reference ? act.apply(x) : act.applyFast(x);
    }

    public static void add(Mat a, Mat b, Mat out, CpuParallel par) {
        boolean broadcast = b.rows() == 1 && a.rows() != 1;
        par.forRange(a.rows(), 1, (from, to) -> {
            float[] ar = new float[a.cols()], bv = new float[a.cols()];
            for (int r = from; r < to; r++) {
                a.readRow(r, ar);
                b.readRow(broadcast ? 0 : r, bv);
                for (int c = 0; c < ar.length; c++) ar[c] += bv[c];
                out.writeRow(r, ar);
            }
        });
    }

    public static void scale(Mat x, float factor, Mat out, CpuParallel par) {
        par.forRange(x.rows(), 1, (from, to) -> {
            for (int r = from; r < to; r++)
                for (int c = 0; c < x.cols(); c++) out.set(r, c, x.get(r, c) * factor);
        });
    }

    public static void softmax(Mat x, Mat out, CpuParallel par) {
        par.forRange(x.rows(), 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < x.cols(); c++) max = Math.max(max, x.get(r, c));
                double sum = 0;
                for (int c = 0; c < x.cols(); c++) sum += Math.exp(x.get(r, c) - max);
                for (int c = 0; c < x.cols(); c++) out.set(r, c, (float) (Math.exp(x.get(r, c) - max) / sum));
            }
        });
    }

    /** out[i, :] = table[ids[i], :]; an id outside the table is an error naming it. */
    public static void embedding(Mat table, Mat ids, Mat out, CpuParallel par) {
        for (int i = 0; i < ids.rows(); i++) {
            int id = ids.getInt(i, 0);
            if (id < 0 || id >= table.rows()) {
                throw new IndexOutOfBoundsException("token id " + id + " at row " + i + " is outside the table of " + table.rows() + " rows");
            }
        }
        par.forRange(ids.rows(), 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                int id = ids.getInt(i, 0);
                for (int c = 0; c < table.cols(); c++) out.set(i, c, table.get(id, c));
            }
        });
    }

    public static void argmax(Mat x, Mat out) {
        float[] row = new float[x.cols()];
        for (int r = 0; r < x.rows(); r++) out.setInt(r, 0, argmax(x.readRow(r, row)));
    }

    /** First index of the largest value; NaN never wins, except that a NaN at 0 gives 0 (a sequential scan). */
    public static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
