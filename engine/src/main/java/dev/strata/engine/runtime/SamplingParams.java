// How the next token is chosen and when generation stops. temperature 0 = greedy;
// topK 0 = off; topP 1 = off. Stops at maxTokens, on any EOS id, or on any extra stop id.
package dev.strata.engine.runtime;

import java.util.List;

public record SamplingParams(float temperature, int topK, float topP, long seed, int maxTokens, List<Integer> stopTokenIds, boolean stopOnEos) {
    public SamplingParams {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) throw new IllegalArgumentException("temperature " + temperature + " must be finite and >= 0");
        if (topK < 0) throw new IllegalArgumentException("top-k " + topK + " must be >= 0");
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p " + topP + " must be in (0, 1]");
        if (maxTokens < 0) throw new IllegalArgumentException("max tokens " + maxTokens + " must be >= 0");
        stopTokenIds = List.copyOf(stopTokenIds);
    }

    public static SamplingParams greedy(int maxTokens) {
        return new SamplingParams(0, 0, 1, 0, maxTokens, List.of(), true);
    }
}
