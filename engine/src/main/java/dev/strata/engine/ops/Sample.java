// out[r] = the token drawn from row r of the logits under row r's sampling parameters, on the
// device, so generation copies 4 bytes per sequence off it instead of a row of logits.
// logits: F32 [m, vocab]; params: I32 [m, PARAMS] (layout below, written by
// SamplingParams.pack); out: I32 [m, 1].
//
// The algorithm, identical on every backend (SampleCpu is the reference):
//   1. greedy = argmax (first index on ties, as the Argmax op) when the temperature is 0, top-k is
//      1, or the row's maximum m is not finite;
//   2. top-k: keep logits >= the k-th largest (ties at the cut are all kept), found by a radix
//      select over order-preserving 32-bit keys of the logits, 8 bits per pass;
//   3. top-p: w = exp((l - m) / T) in float, as 2^-40 fixed point summed in 64-bit integers (so
//      sums do not depend on the order of addition); keep logits >= the largest value whose
//      kept mass reaches topP · Z, Z the mass top-k kept (the smallest such set, ties kept),
//      by the same radix select over masses (or, to the same token, by rejection:
//      SampleCpu.sampleByRejection);
//   4. min-p: keep w >= minP (HF's p >= min_p · p_max);
//   5. draw by the Gumbel-max trick: argmax over kept tokens of (l - m) / T + G, G = -log(-log u),
//      u = a counter-based hash of (seed, step, token index) in (0, 1): no generator state lives
//      on the device, and the same seed and step give the same draw on every backend (except
//      where float rounding of exp/log decides a cut or a near tie).
package dev.strata.engine.ops;

import dev.strata.engine.graph.Tensor;
import java.util.List;

public record Sample(Tensor logits, Tensor params) implements Op {
    /** Columns of a params row. Floats are stored as their IEEE-754 bits. */
    public static final int TEMPERATURE = 0, TOP_K = 1, TOP_P = 2, MIN_P = 3, SEED_LO = 4, SEED_HI = 5, STEP = 6, PARAMS = 7;
    /** top-p is stored as round(topP · 2^24), at least 1; TOP_P_ONE (2^24) = no top-p cut. */
    public static final int TOP_P_ONE = 1 << 24;

    /** The 64-bit seed of the params row at src[off..]. */
    public static long seed(int[] src, int off) { return (src[off + SEED_LO] & 0xFFFFFFFFL) | ((long) src[off + SEED_HI] << 32); }

    public OpKind kind() { return OpKind.SAMPLE; }
    public List<Tensor> inputs() { return Inputs.of(logits, params); }
}
