// The conformance metric and its limits: NMSE = Σ(a−b)² / Σb² of a device's output a against an
// independent double-precision reference b (llama.cpp's test-backend-ops metric). A NaN, or an
// infinity where the reference is finite, fails whatever the NMSE.
package dev.strata.tests.ops;

import static org.junit.jupiter.api.Assertions.fail;

public final class Nmse {
    /** Elementwise F32 ops (softmax, activations, add, scale, norms, rope, embedding): the contract for every backend. */
    public static final double ELEMENTWISE = 1e-7;
    /** Matmul with F32/F16/BF16 weights (the reference uses the stored, already rounded weights). */
    public static final double MATMUL = 5e-4;
    /** Fused attention; also bounded by the flash-attention rule, see {@link #ATTENTION_FA_FACTOR}. */
    public static final double ATTENTION = 5e-4;
    /**
     * Attention whose products may round to BF16/F16 (AttentionSpec.compute): the contract cap;
     * AttentionLowPrecisionConformanceTest also bounds it by the error 16-bit rounding itself causes.
     */
    public static final double ATTENTION_16BIT = 1e-4;
    /**
     * Flash-attention's rule: a kernel's error is at most about this many times that of a plain
     * float implementation, both against the double reference ...
     */
    public static final double ATTENTION_FA_FACTOR = 2;
    /** ... with this floor, where the plain float error is itself near the float output rounding. */
    public static final double ATTENTION_FA_FLOOR = 1e-10;
    /**
     * Devices that accumulate in double (the CPU reference): only the final rounding to float
     * differs from the reference, an NMSE of about 2^-48 ≈ 4e-15.
     */
    public static final double DOUBLE_ACCUMULATION = 1e-12;

    /**
     * A replayed run (the second run of an executor; a device-graph replay on CUDA) against the
     * first with the same inputs: identical for deterministic kernels; this allows reductions
     * whose order varies between runs.
     */
    public static final double REPLAY = 1e-12;

    private Nmse() {}

    /** The limit for this device: the op's contract, tightened for double-accumulating devices. */
    public static double limit(DeviceCase device, double contract) {
        return device.doubleAccumulation() ? Math.min(contract, DOUBLE_ACCUMULATION) : contract;
    }

    /** Σ(a−b)² / Σb²; Σ(a−b)² alone when the reference is all zeros. NaN when a has a NaN. */
    public static double of(double[] actual, double[] expected) {
        if (actual.length != expected.length) throw new IllegalArgumentException(actual.length + " values vs " + expected.length + " expected");
        double err = 0, ref = 0;
        for (int i = 0; i < actual.length; i++) {
            double d = actual[i] - expected[i];
            if (actual[i] == expected[i]) d = 0; // equal infinities
            err += d * d;
            ref += expected[i] * expected[i];
        }
        return ref == 0 ? err : err / ref;
    }

    /** Fails naming what, the NMSE, the limit and the worst element when the output does not conform. */
    public static double check(String what, double[] actual, double[] expected, double limit) {
        for (int i = 0; i < expected.length; i++) {
            if (Double.isNaN(expected[i])) fail(what + ": the test's reference has NaN at " + i);
        }
        for (int i = 0; i < actual.length; i++) {
            boolean bad = Double.isNaN(actual[i]) || (Double.isInfinite(actual[i]) && actual[i] != expected[i]);
            if (bad) fail(what + ": element " + i + " is " + actual[i] + "; expected " + expected[i]);
        }
        double e = of(actual, expected);
        if (!(e <= limit)) {
            int worst = 0;
            for (int i = 1; i < actual.length; i++) {
                if (Math.abs(actual[i] - expected[i]) > Math.abs(actual[worst] - expected[worst])) worst = i;
            }
            fail(String.format("%s: NMSE %.3e exceeds %.1e (worst element %d: %s, expected %s)",
                    what, e, limit, worst, actual[worst], expected[worst]));
        }
        return e;
    }
}
