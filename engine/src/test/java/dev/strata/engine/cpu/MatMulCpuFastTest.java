// Fast (Vector API) matmul against the double-accumulation reference on random data: decode and
// prefill row counts (Gemm from 32 rows; 37 leaves a tail row), tail sizes of k and n, F32/F16/BF16
// weights in both layouts (offset by one element, so unaligned), with and without bias, x a
// strided column view, output guards intact.
// Pass: max|fast − ref| / max|ref| ≤ 1e-5; for F16/BF16 weights, where cancellation can make that
// ill-conditioned (one small output), at most twice plain sequential float's error (STYLE: Tests).
// The fused epilogue (activation, residual) must give the bits of the product followed by the
// Activate and Add ops, on the GEMM path (per finished block) and the GEMV path alike.
package dev.strata.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.strata.engine.cpu.kernels.ElementwiseCpu;
import dev.strata.engine.cpu.kernels.MatMulCpu;
import dev.strata.engine.ops.Activation;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.engine.tensor.DType;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class MatMulCpuFastTest {
    private static final int[] MS = {1, 3, 4, 5, 17, 37, 64};
    private static final int[] KS = {1, 13, 64, 769};
    private static final int[] NS = {1, 7, 33, 256};
    private static final int GUARD = 19;
    private static final double TOLERANCE = 1e-5;

    private static CpuParallel par;

    @BeforeAll static void start() { par = new CpuParallel(3); }

    @AfterAll static void stop() { par.close(); }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"})
    void fastMatchesReference(DType dtype) {
        SplittableRandom rnd = new SplittableRandom(dtype.ordinal());
        for (WeightLayout layout : WeightLayout.values()) {
            for (boolean withBias : new boolean[] {false, true}) {
                for (int m : MS) for (int k : KS) for (int n : NS) check(rnd, dtype, layout, withBias, m, k, n);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Activation.class, names = {"GELU_ERF", "SILU"})
    void epilogueIsTheOpsBitForBit(Activation act) {
        SplittableRandom rnd = new SplittableRandom(act.ordinal() + 7);
        for (int m : new int[] {1, 5, 37, 160}) {
            for (boolean withResidual : new boolean[] {false, true}) {
                int k = 67, n = 333;
                String what = "m=" + m + " " + act + (withResidual ? " +residual" : "");
                try (Arena arena = Arena.ofShared()) {
                    Mat x = TestMats.random(arena, rnd, m, k, 3, k + 5, DType.F32);
                    Mat w = TestMats.random(arena, rnd, k, n, 1, n, DType.BF16);
                    Mat bias = TestMats.random(arena, rnd, 1, n, 0, n, DType.BF16);
                    Mat residual = withResidual ? TestMats.random(arena, rnd, m, n, 2, n + 1, DType.F32) : null;
                    Mat fused = TestMats.guarded(arena, m, n, GUARD), ops = TestMats.guarded(arena, m, n, GUARD);
                    MatMulCpu.fast(x, w, bias, WeightLayout.IN_OUT, act, residual, fused, par);
                    MatMulCpu.fast(x, w, bias, WeightLayout.IN_OUT, ops, par);
                    ElementwiseCpu.activate(ops, act, false, ops, par);
                    if (withResidual) ElementwiseCpu.add(ops, residual, ops, par);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            assertEquals(Float.floatToRawIntBits(ops.get(i, j)), Float.floatToRawIntBits(fused.get(i, j)), what + " at (" + i + ", " + j + ")");
                        }
                    }
                    TestMats.assertGuards(fused, GUARD);
                }
            }
        }
    }

    private static void check(SplittableRandom rnd, DType dtype, WeightLayout layout, boolean withBias, int m, int k, int n) {
        String what = "m=" + m + " k=" + k + " n=" + n + " " + dtype + " " + layout + (withBias ? " +bias" : "");
        try (Arena arena = Arena.ofShared()) {
            Mat x = TestMats.random(arena, rnd, m, k, 3, k + 5, DType.F32);
            Mat w = layout == WeightLayout.OUT_IN ? TestMats.random(arena, rnd, n, k, 1, k, dtype) : TestMats.random(arena, rnd, k, n, 1, n, dtype);
            Mat bias = withBias ? TestMats.random(arena, rnd, 1, n, 1, n, dtype) : null;
            Mat ref = TestMats.guarded(arena, m, n, GUARD), out = TestMats.guarded(arena, m, n, GUARD);
            MatMulCpu.reference(x, w, bias, layout, ref);
            MatMulCpu.fast(x, w, bias, layout, out, par);
            double err = TestMats.relError(out, ref, what);
            assertTrue(err <= TOLERANCE || dtype != DType.F32, what + ": relative error " + err + " > " + TOLERANCE);
            if (err > TOLERANCE) {
                Mat plain = TestMats.guarded(arena, m, n, GUARD);
                plainFloat(x, w, bias, layout, plain);
                double plainErr = TestMats.relError(plain, ref, what);
                assertTrue(err <= 2 * plainErr, what + ": relative error " + err + " > " + TOLERANCE + " and > 2 × plain float's " + plainErr);
            }
            TestMats.assertGuards(out, GUARD);
        }
    }

    /** Sequential float accumulation, the yardstick when few outputs make max|ref| ill-conditioned. */
    private static void plainFloat(Mat x, Mat w, Mat bias, WeightLayout layout, Mat out) {
        for (int i = 0; i < x.rows(); i++) {
            for (int j = 0; j < out.cols(); j++) {
                float acc = bias == null ? 0 : bias.get(0, j);
                for (int kk = 0; kk < x.cols(); kk++) acc += x.get(i, kk) * (layout == WeightLayout.OUT_IN ? w.get(j, kk) : w.get(kk, j));
                out.set(i, j, acc);
            }
        }
    }
}
