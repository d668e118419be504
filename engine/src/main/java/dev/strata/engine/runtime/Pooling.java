// Sentence embeddings from an encoder's last hidden state: mean over the tokens the mask keeps
// (sentence-transformers' default) or the CLS row, optionally L2-normalised. Sums in double.
package dev.strata.engine.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

public enum Pooling {
    MEAN, CLS;

    /** hidden: F32 [batch*seqLen, dim]; mask: [batch*seqLen] of 0/1. Returns row b's embedding. */
    public float[] pool(MemorySegment hidden, int[] mask, int b, int seqLen, int dim, boolean normalize) {
        double[] acc = new double[dim];
        int count = 0;
        for (int i = 0; i < (this == CLS ? 1 : seqLen); i++) {
            int r = b * seqLen + i;
            if (this == MEAN && mask[r] == 0) continue;
            count++;
            for (int c = 0; c < dim; c++) acc[c] += hidden.getAtIndex(ValueLayout.JAVA_FLOAT, (long) r * dim + c);
        }
        double norm = 0;
        for (int c = 0; c < dim; c++) {
            acc[c] /= Math.max(count, 1);
            norm += acc[c] * acc[c];
        }
        double div = normalize ? Math.max(Math.sqrt(norm), 1e-12) : 1;
        float[] out = new float[dim];
        for (int c = 0; c < dim; c++) out[c] = (float) (acc[c] / div);
        return out;
    }
}
