// Transcendentals in float lanes for the fast CPU kernels: exp (softmax) and exact-erf GELU.
// Built from FMA, add, multiply, compare and blend only, so a kernel gives the same bits
// interpreted and JIT-compiled (the Vector API's own EXP does not: its two forms differ in the
// last bits). Accuracy: exp within ~2 ulp (Cephes' expf polynomial after a two-constant ln 2
// reduction); gelu(x) = x/2·(1 + erf(x/√2)) within ~1e-7·max(1, |x|) absolute, from two
// minimax fits (made for this file with mpmath, weighted least squares iterated to equal ripple):
//   |z| < 1:      erf(z) = z·A(z²),                      A degree 6, relative error ~1e-9;
//   1 ≤ |z| ≤ 5:  erfc(|z|) = exp(B(u) − z²), u = (|z| − 3)/2, B degree 9, |erfc error| < 3e-8;
// past 5 B is held at u = 1 (erfc < 2e-12 there, and exp(−z²) takes it to 0).
package dev.strata.engine.cpu.simd;

import static dev.strata.engine.cpu.simd.Lanes.F;
import static dev.strata.engine.cpu.simd.Lanes.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

public final class VecMath {
    private VecMath() {}

    /** 1.5·2^23: adding it rounds a float below 2^22 to an integer, kept in the low mantissa bits. */
    private static final float ROUND = 12582912f;
    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /**
     * Broadcast constants (as fields: the C2 JIT parses each broadcast call into many nodes).
     * EXP_P0..P5: Cephes expf's p0..p5 (highest degree first); ERF_A*: A(z²) for |z| < 1 and
     * ERFC_B*: B(u) for 1 ≤ |z| ≤ 5, the coefficient of degree i named _i; all applied by Horner
     * from the highest degree.
     */
    private static final FloatVector LOG2E_V = FloatVector.broadcast(F, LOG2E);
    private static final FloatVector ROUND_V = FloatVector.broadcast(F, ROUND);
    private static final FloatVector MINUS_LN2_HI_V = FloatVector.broadcast(F, -LN2_HI);
    private static final FloatVector MINUS_LN2_LO_V = FloatVector.broadcast(F, -LN2_LO);
    private static final FloatVector EXP_P0 = FloatVector.broadcast(F, 1.9875691500e-4f);
    private static final FloatVector EXP_P1 = FloatVector.broadcast(F, 1.3981999507e-3f);
    private static final FloatVector EXP_P2 = FloatVector.broadcast(F, 8.3334519073e-3f);
    private static final FloatVector EXP_P3 = FloatVector.broadcast(F, 4.1665795894e-2f);
    private static final FloatVector EXP_P4 = FloatVector.broadcast(F, 1.6666665459e-1f);
    private static final FloatVector EXP_P5 = FloatVector.broadcast(F, 5.0000001201e-1f);
    private static final FloatVector TWO_V = FloatVector.broadcast(F, 2f);
    private static final FloatVector ERF_A6 = FloatVector.broadcast(F, 7.853862189222127e-05f);
    private static final FloatVector ERF_A5 = FloatVector.broadcast(F, -0.0008010193705558777f);
    private static final FloatVector ERF_A4 = FloatVector.broadcast(F, 0.005188327748328447f);
    private static final FloatVector ERF_A3 = FloatVector.broadcast(F, -0.026853812858462334f);
    private static final FloatVector ERF_A2 = FloatVector.broadcast(F, 0.1128358542919159f);
    private static final FloatVector ERF_A1 = FloatVector.broadcast(F, -0.3761262595653534f);
    private static final FloatVector ERF_A0 = FloatVector.broadcast(F, 1.1283791065216064f);
    private static final FloatVector ONE_V = FloatVector.broadcast(F, 1f);
    private static final FloatVector ERFC_B9 = FloatVector.broadcast(F, -5.537642209674232e-05f);
    private static final FloatVector ERFC_B8 = FloatVector.broadcast(F, 0.00028848106740042567f);
    private static final FloatVector ERFC_B7 = FloatVector.broadcast(F, -0.0009299234952777624f);
    private static final FloatVector ERFC_B6 = FloatVector.broadcast(F, 0.0027490626089274883f);
    private static final FloatVector ERFC_B5 = FloatVector.broadcast(F, -0.007852357812225819f);
    private static final FloatVector ERFC_B4 = FloatVector.broadcast(F, 0.021655060350894928f);
    private static final FloatVector ERFC_B3 = FloatVector.broadcast(F, -0.05929708853363991f);
    private static final FloatVector ERFC_B2 = FloatVector.broadcast(F, 0.17042291164398193f);
    private static final FloatVector ERFC_B1 = FloatVector.broadcast(F, -0.6075072884559631f);
    private static final FloatVector ERFC_B0 = FloatVector.broadcast(F, -1.7203630208969116f);

    /** Below this exp(y) would be subnormal: the result is 0 instead. */
    private static final float EXP_MIN = -87.33654f;

    private static final float INV_SQRT2 = 0.70710678118654752f;

    /**
     * row[0, n) = gelu(row[0, n)), L lanes at a time (the tail under a mask), in three passes over
     * the row with tmp[0, n) as scratch: erfc's exponent, exp, then the blend. Each pass is its
     * own loop method: one loop doing it all parses into more IR nodes than C2 inlines
     * (NodeCountInliningCutoff), and a vector passed to or returned from a call that is not
     * inlined is boxed, which costs more than the math; a call taking arrays costs nothing.
     */
    public static void gelu(float[] row, float[] tmp, int n) {
        erfcExponents(row, tmp, n);
        expShifted(tmp, 0, n, 0f);
        geluBlend(row, tmp, n);
    }

    private static void erfcExponents(float[] row, float[] tmp, int n) {
        int i = 0;
        for (; i + L <= n; i += L) erfcExponent(FloatVector.fromArray(F, row, i)).intoArray(tmp, i);
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            erfcExponent(FloatVector.fromArray(F, row, i, m)).intoArray(tmp, i, m);
        }
    }

    private static void geluBlend(float[] row, float[] erfc, int n) {
        int i = 0;
        for (; i + L <= n; i += L) gelu(FloatVector.fromArray(F, row, i), FloatVector.fromArray(F, erfc, i)).intoArray(row, i);
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            gelu(FloatVector.fromArray(F, row, i, m), FloatVector.fromArray(F, erfc, i, m)).intoArray(row, i, m);
        }
    }

    /** sc[from, from + n) = e^(sc − max), L lanes at a time (the tail under a mask). */
    public static void expShifted(float[] sc, int from, int n, float max) {
        FloatVector mv = FloatVector.broadcast(F, max);
        int i = 0;
        for (; i + L <= n; i += L) exp(FloatVector.fromArray(F, sc, from + i).sub(mv)).intoArray(sc, from + i);
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            exp(FloatVector.fromArray(F, sc, from + i, m).sub(mv)).intoArray(sc, from + i, m);
        }
    }

    /** e^y per lane for y ≤ 88; 0 below −87.34 (and for −∞), NaN stays NaN. */
    public static FloatVector exp(FloatVector y) {
        VectorMask<Float> under = y.lt(EXP_MIN);
        y = y.blend(EXP_MIN, under);
        FloatVector v = y.fma(LOG2E_V, ROUND_V), n = v.sub(ROUND);
        FloatVector r = n.fma(MINUS_LN2_HI_V, y);
        r = n.fma(MINUS_LN2_LO_V, r);
        // Cephes expf: e^r ≈ 1 + r + r²·P(r) on |r| ≤ ln2/2
        FloatVector p = r.fma(EXP_P0, EXP_P1);
        p = p.fma(r, EXP_P2);
        p = p.fma(r, EXP_P3);
        p = p.fma(r, EXP_P4);
        p = p.fma(r, EXP_P5);
        FloatVector e = p.mul(r).fma(r, r).add(1f);
        IntVector scale = v.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(0x3f800000);
        return e.mul(scale.reinterpretAsFloats()).blend(0f, under);
    }

    /** x/2·(1 + erf(x/√2)) per lane, given erfc(|x|/√2) for |x|/√2 ≥ 1 (see the header). */
    private static FloatVector gelu(FloatVector x, FloatVector erfc) {
        FloatVector z = x.mul(INV_SQRT2), t = z.abs();
        FloatVector tail = erfc.blend(TWO_V.sub(erfc), x.compare(VectorOperators.GE, 0f));
        return x.mul(0.5f).mul(onePlusErf(z).blend(tail, t.compare(VectorOperators.GE, 1f)));
    }

    /** 1 + erf(z) = 1 + z·A(z²), for |z| < 1. */
    private static FloatVector onePlusErf(FloatVector z) {
        FloatVector s = z.mul(z);
        FloatVector a = s.fma(ERF_A6, ERF_A5);
        a = a.fma(s, ERF_A4);
        a = a.fma(s, ERF_A3);
        a = a.fma(s, ERF_A2);
        a = a.fma(s, ERF_A1);
        a = a.fma(s, ERF_A0);
        return a.fma(z, ONE_V);
    }

    /** B(u) − t², t = |x|/√2, u = (min(t, 5) − 3)/2: erfc(t) = e^that for t ≥ 1. */
    private static FloatVector erfcExponent(FloatVector x) {
        FloatVector t = x.mul(INV_SQRT2).abs();
        FloatVector u = t.blend(5f, t.compare(VectorOperators.GT, 5f)).sub(3f).mul(0.5f);
        FloatVector b = u.fma(ERFC_B9, ERFC_B8);
        b = b.fma(u, ERFC_B7);
        b = b.fma(u, ERFC_B6);
        b = b.fma(u, ERFC_B5);
        b = b.fma(u, ERFC_B4);
        b = b.fma(u, ERFC_B3);
        b = b.fma(u, ERFC_B2);
        b = b.fma(u, ERFC_B1);
        b = b.fma(u, ERFC_B0);
        return t.neg().fma(t, b);
    }
}
