// Launches recorded once for repeated timing: `work` captured into a device graph
// (ComputeDevice.capture) where the device has them, so a timing does not count the host's launch
// cost (a cold JVM's first launches through FFM take longer than a short kernel); launched eagerly
// where the device has none, or where the caller asks for no recording (an empty prefix). Used by
// OpProfiler's two profiles and by KernelRoofline.
package dev.strata.engine.backend;

public final class RecordedWork implements AutoCloseable {
    private final ComputeDevice device;
    private final Runnable work;
    private final ComputeDevice.Replay replay;

    /** Records `work`, which must have run once eagerly (ComputeDevice.capture's rule). */
    public RecordedWork(ComputeDevice device, Runnable work) { this(device, work, true); }

    /** Records `work` only where `record` is true; otherwise each run launches it eagerly. */
    public RecordedWork(ComputeDevice device, Runnable work, boolean record) {
        this.device = device;
        this.work = work;
        this.replay = record ? device.capture(work) : null;
    }

    /** Enqueues the work once: the recorded graph, or the launches themselves. */
    public void run() {
        if (replay != null) replay.launch();
        else work.run();
    }

    /** Device time of one run in nanoseconds. */
    public long timeNanos() { return device.timeNanos(this::run); }

    /** The shortest of `trials` timed runs, `before` enqueued (untimed) ahead of each. */
    public long bestNanos(int trials, Runnable before) {
        long best = Long.MAX_VALUE;
        for (int t = 0; t < trials; t++) {
            before.run();
            best = Math.min(best, timeNanos());
        }
        return best;
    }

    @Override
    public void close() {
        if (replay != null) replay.close();
    }
}
