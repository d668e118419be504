// Splits index ranges over a fixed pool of worker threads (the machine's cores by default).
package dev.strata.engine.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

public final class CpuParallel implements AutoCloseable {
    /** Body of a parallel loop over [from, to). */
    @FunctionalInterface
    public interface Range { void run(int from, int to); }

    private final ForkJoinPool pool;
    private final int threads;

    public CpuParallel(int threads) {
        this.threads = threads <= 0 ? Runtime.getRuntime().availableProcessors() : threads;
        this.pool = this.threads == 1 ? null : new ForkJoinPool(this.threads);
    }

    public int threads() { return threads; }

    /** Runs body over [0, n) in chunks of at least `grain` indices. */
    public void forRange(int n, int grain, Range body) {
        if (n <= 0) return;
        int chunks = Math.min(threads * 4, Math.max(1, n / Math.max(1, grain)));
        if (pool == null || chunks <= 1) {
            body.run(0, n);
            return;
        }
        pool.invoke(new Split(body, 0, n, (n + chunks - 1) / chunks));
    }

    private static final class Split extends RecursiveAction {
        private final Range body;
        private final int from, to, chunk;

        Split(Range body, int from, int to, int chunk) {
            this.body = body;
            this.from = from;
            this.to = to;
            this.chunk = chunk;
        }

        @Override protected void compute() {
            if (to - from <= chunk) {
                body.run(from, to);
                return;
            }
            int mid = from + (to - from) / 2;
            invokeAll(new Split(body, from, mid, chunk), new Split(body, mid, to, chunk));
        }
    }

    @Override public void close() {
        if (pool != null) pool.shutdown();
    }
}
