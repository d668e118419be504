// A model's weights resident on one device, uploaded once on first use and shared by every
// graph (batch/shape bucket) of that model. A stacked weight (Tensor.parts) is uploaded part by
// part into one buffer.
package dev.strata.engine.exec;

import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.backend.DeviceBuffer;
import dev.strata.engine.graph.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

public final class DeviceWeights implements AutoCloseable {
    private final ComputeDevice device;
    private final Function<String, MemorySegment> source;
    private final Map<String, DeviceBuffer> resident = new HashMap<>();
    private long residentBytes;
    private long stackedBytes;

    /** source maps a checkpoint tensor name to its (memory-mapped) bytes. */
    public DeviceWeights(ComputeDevice device, Function<String, MemorySegment> source) {
        this.device = device;
        this.source = source;
    }

    public synchronized DeviceBuffer get(Tensor w) {
        DeviceBuffer b = resident.get(w.source());
        if (b == null) {
            List<MemorySegment> parts = w.parts().stream().map(source).toList();
            b = parts.size() == 1 ? device.uploadWeight(w.source(), w.dtype(), parts.getFirst())
                    : device.uploadStackedWeight(w.source(), w.dtype(), parts);
            resident.put(w.source(), b);
            long bytes = parts.stream().mapToLong(MemorySegment::byteSize).sum();
            residentBytes += bytes;
            if (parts.size() > 1) stackedBytes += bytes;
        }
        return b;
    }

    public long residentBytes() { return residentBytes; }

    /** The part of residentBytes held by stacked weights: copies even on a host backend. */
    public long stackedBytes() { return stackedBytes; }

    public ComputeDevice device() { return device; }

    @Override public synchronized void close() {
        resident.values().forEach(DeviceBuffer::close);
        resident.clear();
    }
}
