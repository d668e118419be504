// Static parameters of a fused attention op. `cacheLayer` < 0 means no KV cache: keys and
// values are exactly the k/v inputs (encoders, cross-attention); otherwise k/v rows are appended
// to the cache's layer at each sequence's current length and attention reads the whole cached
// prefix. `kvLen` is the number of keys per sequence of uncached attention (k/v hold
// batch·kvLen rows); it equals seqLen for self-attention and is the source length for
// cross-attention, which is never causal or cached. `compute` is the precision attention's two
// matrix products (q·Kᵀ and p·V) may round their inputs to: F32 (the default: no rounding) or,
// for models whose weights are 16-bit, BF16 or F16 with F32 accumulation, as PyTorch's SDPA runs
// on BF16 tensors. A backend with 16-bit tensor-core kernels (CUDA prefill) uses them; the CPU
// reference and OpenCL always compute in F32.
package dev.strata.engine.ops;

import dev.strata.engine.tensor.DType;

public record AttentionSpec(int batch, int seqLen, int heads, int kvHeads, int headDim, float scale,
                            boolean causal, int cacheLayer, int kvLen, DType compute) {
    public AttentionSpec {
        if (compute != DType.F32 && compute != DType.BF16 && compute != DType.F16) {
            throw new IllegalArgumentException("attention compute dtype " + compute + ": expected F32, BF16 or F16");
        }
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " must be a positive multiple of kv heads " + kvHeads);
        }
        if (kvLen <= 0) throw new IllegalArgumentException("kvLen " + kvLen + " must be positive");
        if (kvLen != seqLen && (causal || cacheLayer >= 0)) {
            throw new IllegalArgumentException("kvLen " + kvLen + " differs from seqLen " + seqLen
                    + ": only uncached, non-causal attention (cross-attention) reads keys of another length");
        }
    }

    /** Computed in F32. */
    public AttentionSpec(int batch, int seqLen, int heads, int kvHeads, int headDim, float scale, boolean causal, int cacheLayer, int kvLen) {
        this(batch, seqLen, heads, kvHeads, headDim, scale, causal, cacheLayer, kvLen, DType.F32);
    }

    /** Self-attention: as many keys per sequence as queries (kvLen = seqLen), computed in F32. */
    public AttentionSpec(int batch, int seqLen, int heads, int kvHeads, int headDim, float scale, boolean causal, int cacheLayer) {
        this(batch, seqLen, heads, kvHeads, headDim, scale, causal, cacheLayer, seqLen);
    }

    /** The same attention with its products allowed to round to `dtype` (F32, BF16 or F16). */
    public AttentionSpec withCompute(DType dtype) {
        return new AttentionSpec(batch, seqLen, heads, kvHeads, headDim, scale, causal, cacheLayer, kvLen, dtype);
    }

    public int groupSize() { return heads / kvHeads; }
    public boolean cached() { return cacheLayer >= 0; }
}
