// Static parameters of a fused attention op. `cacheLayer` < 0 means no KV cache: keys and
// values are exactly the k/v inputs (encoders, cross-attention); otherwise k/v rows are appended
// to the cache's layer at each sequence's current length and attention reads the whole cached
// prefix. `kvLen` is the number of keys per sequence of uncached attention (k/v hold
// batch·kvLen rows); it equals seqLen for self-attention and is the source length for
// cross-attention, which is never causal or cached.
package dev.strata.engine.ops;

public record AttentionSpec(int batch, int seqLen, int heads, int kvHeads, int headDim, float scale,
                            boolean causal, int cacheLayer, int kvLen) {
    public AttentionSpec {
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " must be a positive multiple of kv heads " + kvHeads);
        }
        if (kvLen <= 0) throw new IllegalArgumentException("kvLen " + kvLen + " must be positive");
        if (kvLen != seqLen && (causal || cacheLayer >= 0)) {
            throw new IllegalArgumentException("kvLen " + kvLen + " differs from seqLen " + seqLen
                    + ": only uncached, non-causal attention (cross-attention) reads keys of another length");
        }
    }

    /** Self-attention: as many keys per sequence as queries (kvLen = seqLen). */
    public AttentionSpec(int batch, int seqLen, int heads, int kvHeads, int headDim, float scale, boolean causal, int cacheLayer) {
        this(batch, seqLen, heads, kvHeads, headDim, scale, causal, cacheLayer, seqLen);
    }

    public int groupSize() { return heads / kvHeads; }
    public boolean cached() { return cacheLayer >= 0; }
}
