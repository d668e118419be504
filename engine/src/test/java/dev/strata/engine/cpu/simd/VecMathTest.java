// VecMath's float-lane exp and GELU against double references (Math.exp; Erf.erf) on dense grids
// across the fitted intervals, their seams (|z| = 1, 5) and past them, plus the special values;
// the row methods over lengths that end in a masked tail.
package dev.strata.engine.cpu.simd;

import static dev.strata.engine.cpu.simd.Lanes.F;
import static dev.strata.engine.cpu.simd.Lanes.L;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.ops.Erf;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VecMathTest {
    @Test
    void expIsWithinTwoUlpOverTheSoftmaxRange() {
        double worst = 0;
        float[] y = new float[L];
        for (int i = 0; i <= 8_800_000; i += L) {
            for (int l = 0; l < L; l++) y[l] = -(i + l) * 1e-5f;
            FloatVector e = VecMath.exp(FloatVector.fromArray(F, y, 0));
            for (int l = 0; l < L; l++) {
                double exact = Math.exp(y[l]);
                if (exact < 0x1p-126) continue; // subnormal results are flushed to 0
                worst = Math.max(worst, Math.abs(e.lane(l) - exact) / Math.ulp((float) exact));
            }
        }
        assertTrue(worst <= 2, "worst exp error " + worst + " ulp");
        assertEquals(1f, one(VecMath::exp, 0f), 0);
        assertEquals(0f, one(VecMath::exp, Float.NEGATIVE_INFINITY), 0);
        assertEquals(0f, one(VecMath::exp, -Float.MAX_VALUE), 0);
        assertEquals(0f, one(VecMath::exp, -100f), 0);
        assertTrue(Float.isNaN(one(VecMath::exp, Float.NaN)));
        assertEquals((float) Math.exp(5), one(VecMath::exp, 5f), Math.ulp((float) Math.exp(5)) * 2);
    }

    @Test
    void geluIsWithin2e7TimesMagnitudeOfTheExactOne() {
        double worst = 0;
        int n = 1001; // not a multiple of L: every row ends in a masked tail
        float[] x = new float[n], g = new float[n], tmp = new float[n];
        for (int i0 = -1_600_000; i0 <= 1_600_000; i0 += n) {
            for (int l = 0; l < n; l++) x[l] = (i0 + l) * 1e-5f + 3.7e-7f;
            System.arraycopy(x, 0, g, 0, n);
            VecMath.gelu(g, tmp, n);
            for (int l = 0; l < n; l++) worst = Math.max(worst, Math.abs(g[l] - exact(x[l])) / Math.max(1, Math.abs(x[l])));
        }
        assertTrue(worst < 2e-7, "worst |gelu − exact| / max(1, |x|) = " + worst);
        float[] special = {0f, 1e-30f, -1e-30f, Float.MIN_VALUE, 1.41421356f, -1.41421356f, 7.0710678f, -7.0710678f, 30f, -30f, 88f, -88f,
                1e30f, -1e30f, Float.POSITIVE_INFINITY, Float.NaN};
        float[] out = special.clone();
        VecMath.gelu(out, new float[out.length], out.length);
        for (int i = 0; i < special.length - 2; i++) {
            assertEquals(exact(special[i]), out[i], 2e-7 * Math.max(1, Math.abs(special[i])), "gelu(" + special[i] + ")");
        }
        assertEquals(Float.POSITIVE_INFINITY, out[special.length - 2], 0);
        assertTrue(Float.isNaN(out[special.length - 1]));
    }

    @Test
    void expShiftedSubtractsTheMaximumFromAnOffsetOnwardsOverAMaskedTail() {
        float[] sc = {0f, -1f, -3.4028235e38f, 2f, Float.NEGATIVE_INFINITY, -0.5f, 1f, 0.25f, -20f, 1.5f, -7f};
        float[] e = sc.clone();
        VecMath.expShifted(e, 2, e.length - 2, 2f);
        assertEquals(sc[0], e[0], 0);
        assertEquals(sc[1], e[1], 0);
        for (int i = 2; i < sc.length; i++) assertEquals((float) Math.exp(sc[i] - 2.0), e[i], 2 * Math.ulp((float) Math.exp(sc[i] - 2.0)), "exp(" + sc[i] + " − 2)");
    }

    private static double exact(float x) { return 0.5 * x * (1 + Erf.erf(x / Math.sqrt(2))); }

    private static float one(java.util.function.UnaryOperator<FloatVector> f, float v) {
        return f.apply(FloatVector.broadcast(F, v)).lane(0);
    }
}
