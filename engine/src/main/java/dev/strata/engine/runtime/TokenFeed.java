// The device side of pipelined decoding: the tokens each step draws (its executor's "next_token",
// I32 [batch, 1]) are copied on the device into a ring of one row per step, where the next step
// reads them as its fed input (DecoderEngine.enqueue), and read back to the host by a pending read
// the caller awaits one step later. So the host enqueues step i + 1 before it waits for token i,
// and a step's host work (inputs, launch) overlaps the device's previous step.
// Rows live on the device for the whole generation (steps rows); host copies alternate between two
// buffers, so at most two reads are pending: keep(i + 1) must come after await(i - 1).
package dev.strata.engine.runtime;

import dev.strata.engine.backend.BufferView;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.backend.DeviceBuffer;
import dev.strata.engine.exec.GraphExecutor;
import dev.strata.engine.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

public final class TokenFeed implements AutoCloseable {
    private final ComputeDevice device;
    private final int batch;
    private final int steps;
    private final DeviceBuffer ring;       // I32 [steps, batch]
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] host = new MemorySegment[2];
    private final ComputeDevice.PendingRead[] pending = new ComputeDevice.PendingRead[2];
    private final int[] pendingStep = {-1, -1};

    public TokenFeed(ComputeDevice device, int batch, int steps) {
        if (batch < 1 || steps < 1) throw new IllegalArgumentException("token feed of " + steps + " steps for batch " + batch + "; expected at least 1 of each");
        this.device = device;
        this.batch = batch;
        this.steps = steps;
        this.ring = device.allocate((long) Integer.BYTES * batch * steps, "generated token ids");
        for (int i = 0; i < host.length; i++) host[i] = arena.allocate((long) Integer.BYTES * batch, 64);
    }

    /** Keeps step `step`'s drawn tokens on the device (ex: that step's executor) and enqueues their read to the host. */
    public void keep(GraphExecutor ex, int step) {
        checkStep(step);
        BufferView drawn = ex.outputView("next_token");
        if (drawn.rows() != batch || drawn.cols() != 1 || drawn.dtype() != DType.I32) {
            throw new IllegalArgumentException("next_token is " + drawn.dtype() + "[" + drawn.rows() + ", " + drawn.cols() + "]; expected I32[" + batch + ", 1]");
        }
        int b = step & 1;
        if (pendingStep[b] >= 0) throw new IllegalStateException("step " + pendingStep[b] + "'s tokens are still pending; await them before keeping step " + step);
        long offset = (long) Integer.BYTES * batch * step;
        device.copy(drawn.buffer(), drawn.byteOffset(), ring, offset, (long) Integer.BYTES * batch);
        pending[b] = device.readLater(ring, offset, host[b]);
        pendingStep[b] = step;
    }

    /** Step `step`'s tokens on the device: the fed tokens of the step after it. */
    public BufferView tokens(int step) {
        checkStep(step);
        return new BufferView(ring, (long) batch * step, batch, 1, 1, DType.I32);
    }

    /** Waits for step `step`'s tokens (kept earlier) and returns them, one per sequence. */
    public int[] await(int step) {
        int b = step & 1;
        if (pendingStep[b] != step) throw new IllegalStateException("step " + step + "'s tokens were not kept, or were awaited already");
        pending[b].await();
        pendingStep[b] = -1;
        return host[b].toArray(ValueLayout.JAVA_INT);
    }

    private void checkStep(int step) {
        if (step < 0 || step >= steps) throw new IllegalArgumentException("step " + step + " outside the feed's [0, " + steps + ")");
    }

    /**
     * Waits for the device (steps enqueued past a stop read the ring; pending reads write host
     * memory), then frees; quietly, so a device an earlier error made unusable still gets both back.
     */
    @Override public void close() {
        device.synchronizeQuietly();
        ring.close();
        arena.close();
    }
}
