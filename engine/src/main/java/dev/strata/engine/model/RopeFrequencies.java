// RoPE inverse frequencies for a config: default, linear and llama3 scaling. Unsupported types
// (dynamic NTK, YaRN, LongRoPE) are rejected with a message naming them.
package dev.strata.engine.model;

import dev.strata.loader.HfConfig;

public final class RopeFrequencies {
    private RopeFrequencies() {}

    /**
     * The frequencies HF transformers uses for this checkpoint: when config.json's dtype is
     * bfloat16 or float16, transformers casts the inv_freq buffer with the weights, so the
     * frequencies are rounded to that dtype (measurable: the llama-gqa-bf16 fixture's logits
     * differ by 1.8e-4 relative without it, 2.8e-7 with it).
     */
    public static float[] forCheckpoint(HfConfig config) {
        float[] inv = compute(config.rope(), config.rotaryDim());
        String dtype = config.raw().path("dtype").asText(config.raw().path("torch_dtype").asText("float32"));
        for (int i = 0; i < inv.length; i++) {
            inv[i] = switch (dtype) {
                case "bfloat16" -> Float.intBitsToFloat(Float.floatToRawIntBits(inv[i]) + 0x7fff + (Float.floatToRawIntBits(inv[i]) >>> 16 & 1) & 0xffff0000);
                case "float16" -> Float.float16ToFloat(Float.floatToFloat16(inv[i]));
                default -> inv[i];
            };
        }
        return inv;
    }

    /** inv_freq[i] = theta^(-2i/rotaryDims), i < rotaryDims/2, scaled per rope type. */
    public static float[] compute(HfConfig.RopeConfig rope, int rotaryDims) {
        int half = rotaryDims / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            double f = 1.0 / Math.pow(rope.theta(), (2.0 * i) / rotaryDims);
            inv[i] = (float) switch (rope.type()) {
                case "default" -> f;
                case "linear" -> f / rope.factor();
                case "llama3" -> llama3(f, rope);
                default -> throw new IllegalArgumentException("unsupported rope_type '" + rope.type() + "'; supported: default, linear, llama3");
            };
        }
        return inv;
    }

    private static double llama3(double f, HfConfig.RopeConfig r) {
        double lowWavelen = r.originalMaxPositions() / r.lowFreqFactor();
        double highWavelen = r.originalMaxPositions() / r.highFreqFactor();
        double wavelen = 2 * Math.PI / f;
        if (wavelen < highWavelen) return f;
        if (wavelen > lowWavelen) return f / r.factor();
        double smooth = (r.originalMaxPositions() / wavelen - r.lowFreqFactor()) / (r.highFreqFactor() - r.lowFreqFactor());
        return (1 - smooth) * f / r.factor() + smooth * f;
    }
}
