// Named tensors a model is loaded from, whatever the file format: safetensors (WeightSet) or an ONNX import.
package dev.strata.loader;

import java.lang.foreign.MemorySegment;
import java.util.Set;

/**
 * Tensors are exposed under Hugging Face names with the dtype, shape and bytes they are stored with; a source
 * whose layout differs from Hugging Face's (an ONNX export's transposed Linear weights) says so in its own API.
 * Segments returned by {@link #data} become inaccessible after {@link #close}.
 */
public interface WeightSource extends AutoCloseable {

    boolean contains(String name);

    /** Dtype, stored shape and absolute byte range in the file; throws NoSuchElementException for an unknown name. */
    TensorInfo info(String name);

    /** Read-only little-endian, row-major bytes of the tensor; not necessarily aligned to the element size. */
    MemorySegment data(String name);

    Set<String> names();

    /** Bytes of every tensor's data. */
    default long totalBytes() {
        long sum = 0;
        for (String name : names()) sum += info(name).byteLength();
        return sum;
    }

    @Override
    void close();
}
