// What an op's launch plan needs from the device: tensor locations, stable scratch memory,
// whether cuBLAS is usable, and the KV cache of this run.
package dev.strata.cuda;

import dev.strata.engine.graph.Tensor;
import dev.strata.engine.kv.KvSpec;

interface PlanContext {
    DevTensor tensor(Tensor t);

    /** Address of a scratch area of at least `bytes` for `purpose`; stable across runs once sized. */
    long scratch(String purpose, long bytes);

    /**
     * Like scratch(), but zero when first handed out (and after growing); kernels that use it
     * (attention_decode_f32's split counters) must leave it zero.
     */
    long zeroedScratch(String purpose, long bytes);

    boolean cublas();

    /** Streaming multiprocessors of the device (grid sizing). */
    int multiprocessors();

    /** The device's largest opt-in dynamic shared memory per block, in bytes. */
    int sharedOptIn();

    KvSpec kvSpec();

    long kvKeys(int layer);

    long kvValues(int layer);
}
