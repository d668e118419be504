// T5's relative position buckets, exactly as transformers' _relative_position_bucket computes
// them (float32 log, truncation toward zero), and the bucket-id tables the T5 graphs take as
// inputs: a gather of the learned [buckets, heads] table by these ids yields the attention op's
// position bias directly.
package dev.strata.engine.model;

public final class RelativePositionBuckets {
    private RelativePositionBuckets() {}

    /** Bucket of relative position key - query (bidirectional for the encoder, causal for the decoder). */
    public static int bucket(int relative, boolean bidirectional, int numBuckets, int maxDistance) {
        int ret = 0, n = numBuckets, rp = relative;
        if (bidirectional) {
            n /= 2;
            if (rp > 0) ret += n;
            rp = Math.abs(rp);
        } else {
            rp = -Math.min(rp, 0);
        }
        int maxExact = n / 2;
        if (rp < maxExact) return ret + rp;
        float ratio = (float) rp / (float) maxExact;
        float scaled = (float) Math.log(ratio) / (float) Math.log((double) maxDistance / maxExact) * (float) (n - maxExact);
        return ret + Math.min(maxExact + (int) scaled, n - 1);
    }

    /** Encoder table: row (b*len + i)*len + j holds bucket(j - i), bidirectional. */
    public static int[] encoder(int batch, int len, int numBuckets, int maxDistance) {
        int[] out = new int[Math.multiplyExact(Math.multiplyExact(batch, len), len)];
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < len; i++)
                for (int j = 0; j < len; j++) out[(b * len + i) * len + j] = bucket(j - i, true, numBuckets, maxDistance);
        return out;
    }

    /**
     * Decoder table for a cached step: row (b*seqLen + i)*capacity + j holds bucket(j - (past[b] + i)),
     * causal (keys past the query fall in bucket 0 and are masked by the attention anyway).
     */
    public static int[] decoder(int[] past, int seqLen, int capacity, int numBuckets, int maxDistance) {
        int[] out = new int[Math.multiplyExact(Math.multiplyExact(past.length, seqLen), capacity)];
        for (int b = 0; b < past.length; b++)
            for (int i = 0; i < seqLen; i++)
                for (int j = 0; j < capacity; j++) {
                    out[(b * seqLen + i) * capacity + j] = bucket(j - (past[b] + i), false, numBuckets, maxDistance);
                }
        return out;
    }
}
