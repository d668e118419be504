// What a kernel launch sees: where each input and the output live, and the KV cache of this run.
package dev.strata.engine.backend;

import dev.strata.engine.graph.Tensor;
import dev.strata.engine.kv.KvStorage;

public interface Bindings {
    BufferView view(Tensor t);

    BufferView out();

    /** The KV cache storage for ops that use it; throws if the run has none. */
    KvStorage kv();
}
