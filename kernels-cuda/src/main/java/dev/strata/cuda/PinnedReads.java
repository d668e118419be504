// Device → host reads the host waits for later (ComputeDevice.readLater): each goes into one of
// SLOTS pinned host buffers by cuMemcpyDtoHAsync on the device's stream, followed by an event;
// await() waits on that event alone and copies the bytes out. Pinned memory is what makes the copy
// asynchronous: into pageable memory cuMemcpyDtoHAsync returns only once done, i.e. after all
// work enqueued before it. Slots are reused in turn; a read still pending in a slot is completed
// before the slot is reused. One per CudaDevice, used from its thread; allocated on first use.
package dev.strata.cuda;

import dev.strata.engine.backend.ComputeDevice;
import java.lang.foreign.MemorySegment;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

final class PinnedReads implements AutoCloseable {
    static final int SLOTS = 8;
    /** Largest read a slot takes; larger ones are read synchronously (CudaDevice.readLater). */
    static final long SLOT_BYTES = 4096;

    private final CudaCheck check;
    private final Pointer pinned = new Pointer();
    private final MemorySegment host;   // SLOTS × SLOT_BYTES pinned bytes
    private final CUevent[] events = new CUevent[SLOTS];
    private final Pending[] pending = new Pending[SLOTS];
    private int next;

    PinnedReads(CudaCheck check) {
        this.check = check;
        check.check(JCudaDriver.cuMemAllocHost(pinned, SLOTS * SLOT_BYTES), "cuMemAllocHost(" + SLOTS * SLOT_BYTES + " bytes)");
        this.host = MemorySegment.ofBuffer(pinned.getByteBuffer(0, SLOTS * SLOT_BYTES));
        for (int i = 0; i < SLOTS; i++) {
            events[i] = new CUevent();
            check.check(JCudaDriver.cuEventCreate(events[i], CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
        }
    }

    /** Enqueues the copy of dst.byteSize() (≤ SLOT_BYTES) bytes at src into a slot, then its event. */
    ComputeDevice.PendingRead enqueue(CUdeviceptr src, MemorySegment dst, CUstream stream) {
        if (dst.byteSize() > SLOT_BYTES) throw new IllegalArgumentException("pinned read of " + dst.byteSize() + " bytes; at most " + SLOT_BYTES);
        int slot = next;
        next = (next + 1) % SLOTS;
        if (pending[slot] != null) pending[slot].await();
        check.check(JCudaDriver.cuMemcpyDtoHAsync(pinned.withByteOffset(slot * SLOT_BYTES), src, dst.byteSize(), stream), "cuMemcpyDtoHAsync");
        check.check(JCudaDriver.cuEventRecord(events[slot], stream), "cuEventRecord");
        Pending p = new Pending(slot, dst);
        pending[slot] = p;
        return p;
    }

    private final class Pending implements ComputeDevice.PendingRead {
        private final int slot;
        private final MemorySegment dst;
        private boolean done;

        Pending(int slot, MemorySegment dst) {
            this.slot = slot;
            this.dst = dst;
        }

        @Override public void await() {
            if (done) return;
            check.check(JCudaDriver.cuEventSynchronize(events[slot]), "cuEventSynchronize");
            dst.copyFrom(host.asSlice(slot * SLOT_BYTES, dst.byteSize()));
            done = true;
            if (pending[slot] == this) pending[slot] = null;
        }
    }

    @Override public void close() {
        for (CUevent e : events) JCudaDriver.cuEventDestroy(e);
        JCudaDriver.cuMemFreeHost(pinned);
    }
}
