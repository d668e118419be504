// One opened device. Shaped for asynchronous devices: writes and launches are enqueued on the
// device's queue in order; read() and synchronize() wait. The CPU backend runs eagerly, which
// satisfies the same contract.
package dev.strata.engine.backend;

import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.kv.KvStorage;
import dev.strata.engine.ops.Op;
import dev.strata.engine.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

public interface ComputeDevice extends AutoCloseable {
    /** "cpu (reference, 1 thread)", "NVIDIA H100 80GB HBM3 (cuda:0)", ... */
    String description();

    Support supports(Op op);

    DeviceBuffer allocate(long bytes, String purpose);

    /**
     * Makes a weight resident. The host segment is memory-mapped and outlives the device's use
     * of it, so a host backend may alias it instead of copying.
     */
    DeviceBuffer uploadWeight(String name, DType dtype, MemorySegment host);

    /**
     * Makes a stacked weight resident: the parts' bytes one after another in one buffer (a
     * copy even on a host backend, which cannot alias several mappings as one).
     */
    default DeviceBuffer uploadStackedWeight(String name, DType dtype, List<MemorySegment> parts) {
        long bytes = 0;
        for (MemorySegment p : parts) bytes = Math.addExact(bytes, p.byteSize());
        DeviceBuffer b = allocate(bytes, "weight " + name + " (" + dtype + ")");
        long offset = 0;
        for (MemorySegment p : parts) {
            write(b, offset, p);
            offset += p.byteSize();
        }
        synchronize();
        return b;
    }

    /**
     * Enqueues a copy host → device; src must stay valid and unchanged until a later wait returns:
     * synchronize(), read(), or the await of a PendingRead enqueued after this write.
     */
    void write(DeviceBuffer dst, long dstByteOffset, MemorySegment src);

    /** Copies device → host, waiting for all queued work first. */
    void read(DeviceBuffer src, long srcByteOffset, MemorySegment dst);

    /**
     * Enqueues a copy device → device of `bytes` bytes, in order with launches and writes. The
     * default goes through host memory and waits (for devices that run eagerly anyway).
     */
    default void copy(DeviceBuffer src, long srcByteOffset, DeviceBuffer dst, long dstByteOffset, long bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(bytes, 64);
            read(src, srcByteOffset, host);
            write(dst, dstByteOffset, host);
            synchronize();
        }
    }

    /** A read enqueued in order with launches; await() waits for it alone, not for work enqueued after it. */
    interface PendingRead {
        /** Waits until the read's bytes are in its destination. */
        void await();
    }

    /**
     * Enqueues a copy device → host (dst.byteSize() bytes) that a later await() completes, so that
     * the host can enqueue more work, e.g. the next decode step, before it waits. dst must stay
     * valid until then. The default reads at once (waiting for all queued work).
     */
    default PendingRead readLater(DeviceBuffer src, long srcByteOffset, MemorySegment dst) {
        read(src, srcByteOffset, dst);
        return () -> {};
    }

    /** Enqueues the kernel for op. */
    void launch(Op op, Bindings bindings);

    void synchronize();

    /**
     * Waits like synchronize() but never throws: for close paths, which must not free host memory
     * that a queued write still reads, and must go on to release everything they own even on a
     * device an earlier error made unusable (whose queued work is abandoned anyway).
     */
    default void synchronizeQuietly() {
        try {
            synchronize();
        } catch (RuntimeException abandoned) {
            // the device failed earlier or now; its queue will not read the host memory any more
        }
    }

    KvStorage allocateKv(KvSpec spec);

    /** A recorded sequence of launches that can be replayed with one submission (a CUDA graph). */
    interface Replay extends AutoCloseable {
        void launch();

        @Override void close();
    }

    /**
     * Records the launches `work` enqueues into a replayable device graph. Devices without graphs
     * return null and the caller launches eagerly. The caller must have run the same work once
     * eagerly first, so any lazily sized scratch memory already exists.
     */
    default Replay capture(Runnable work) { return null; }

    /** Device time of `work` in nanoseconds (device events where the device has them). */
    default long timeNanos(Runnable work) {
        synchronize();
        long t0 = System.nanoTime();
        work.run();
        synchronize();
        return System.nanoTime() - t0;
    }

    @Override void close();
}
