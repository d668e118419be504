// Static parameters of a fused attention op. `cacheLayer` < 0 means no KV cache: keys and
// values are exactly the k/v inputs (encoders); otherwise k/v rows are appended to the cache's
// layer at each sequence's current length and attention reads the whole cached prefix.
package dev.strata.engine.ops;

public record AttentionSpec(int batch, int seqLen, int heads, int kvHeads, int headDim, float scale,
                            boolean causal, int cacheLayer) {
    public AttentionSpec {
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " must be a positive multiple of kv heads " + kvHeads);
        }
    }

    public int groupSize() { return heads / kvHeads; }
    public boolean cached() { return cacheLayer >= 0; }
}
