// How the next token is chosen and when generation stops. temperature 0 = greedy; topK 0 = off;
// topP 1 = off; minP 0 = off (keep tokens with p >= minP · p_max). Stops at maxTokens, on any EOS
// id, or on any extra stop id. pack() writes the row the Sample op reads on the device; unpack()
// reads one back.
package dev.strata.engine.runtime;

import dev.strata.engine.ops.Sample;
import java.util.List;

public record SamplingParams(float temperature, int topK, float topP, float minP, long seed, int maxTokens, List<Integer> stopTokenIds,
                             boolean stopOnEos) {
    public SamplingParams {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) throw new IllegalArgumentException("temperature " + temperature + " must be finite and >= 0");
        if (topK < 0) throw new IllegalArgumentException("top-k " + topK + " must be >= 0");
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p " + topP + " must be in (0, 1]");
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("min-p " + minP + " must be in [0, 1]");
        if (maxTokens < 0) throw new IllegalArgumentException("max tokens " + maxTokens + " must be >= 0");
        stopTokenIds = List.copyOf(stopTokenIds);
    }

    public static SamplingParams greedy(int maxTokens) {
        return new SamplingParams(0, 0, 1, 0, 0, maxTokens, List.of(), true);
    }

    /**
     * The parameters a packed row holds (maxTokens 0, no stop ids), checked as the constructor
     * checks them: the inverse of pack up to top-p's rounding to 2^-24.
     */
    public static SamplingParams unpack(int[] src, int off) {
        return new SamplingParams(Float.intBitsToFloat(src[off + Sample.TEMPERATURE]), src[off + Sample.TOP_K],
                src[off + Sample.TOP_P] / (float) Sample.TOP_P_ONE, Float.intBitsToFloat(src[off + Sample.MIN_P]), Sample.seed(src, off), 0,
                List.of(), false);
    }

    /** Writes the Sample op's params row for draw number `step` of this request at dst[off, off + Sample.PARAMS). */
    public void pack(int step, int[] dst, int off) {
        dst[off + Sample.TEMPERATURE] = Float.floatToRawIntBits(temperature);
        dst[off + Sample.TOP_K] = topK;
        dst[off + Sample.TOP_P] = topP >= 1 ? Sample.TOP_P_ONE : Math.max(1, Math.round(topP * Sample.TOP_P_ONE));
        dst[off + Sample.MIN_P] = Float.floatToRawIntBits(minP);
        dst[off + Sample.SEED_LO] = (int) seed;
        dst[off + Sample.SEED_HI] = (int) (seed >>> 32);
        dst[off + Sample.STEP] = step;
    }
}
