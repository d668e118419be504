// Splits index ranges over a fixed set of worker threads (the machine's cores by default). The
// calling thread takes part: it and threads − 1 pool workers claim chunks from a shared counter,
// so a loop on 2 cores runs on exactly 2 threads, with one hand-off to wake the worker. It
// replaced a ForkJoinPool.invoke (caller parked, recursive splits): on the 2-vCPU EPYC the
// MiniLM [2048 × 384]·[384 × 384] GEMM went from 5.9 to 4.9 ms (best of 12, 2 threads). Which
// thread runs a chunk never changes what the chunk computes, so results do not depend on the
// thread count. A loop started from inside a worker (nested) runs inline on that worker.
package dev.strata.engine.cpu;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

public final class CpuParallel implements AutoCloseable {
    /** Body of a parallel loop over [from, to). */
    @FunctionalInterface
    public interface Range { void run(int from, int to); }

    private final ExecutorService pool;
    private final int threads;
    private final ThreadLocal<Boolean> worker = ThreadLocal.withInitial(() -> false);

    public CpuParallel(int threads) {
        this.threads = threads <= 0 ? Runtime.getRuntime().availableProcessors() : threads;
        this.pool = this.threads == 1 ? null : Executors.newFixedThreadPool(this.threads - 1, r -> {
            Thread t = new Thread(() -> {
                worker.set(true);
                r.run();
            }, "strata-cpu");
            t.setDaemon(true);
            return t;
        });
    }

    public int threads() { return threads; }

    /** Runs body over [0, n) in chunks of at least `grain` indices. */
    public void forRange(int n, int grain, Range body) {
        if (n <= 0) return;
        int chunks = Math.min(threads * 4, Math.max(1, n / Math.max(1, grain)));
        if (pool == null || chunks <= 1 || worker.get()) {
            body.run(0, n);
            return;
        }
        int size = (n + chunks - 1) / chunks;
        AtomicInteger next = new AtomicInteger();
        Runnable claim = () -> {
            for (int c; (c = next.getAndIncrement()) < chunks && c * size < n; ) body.run(c * size, Math.min(n, (c + 1) * size));
        };
        int helpers = Math.min(threads, chunks) - 1;
        Future<?>[] started = new Future<?>[helpers];
        for (int i = 0; i < helpers; i++) started[i] = pool.submit(claim);
        Throwable failure = null;
        try {
            claim.run();
        } catch (RuntimeException | Error e) {
            next.set(chunks); // the helpers stop at their next claim
            failure = e;
        }
        for (Future<?> f : started) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) failure = e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = new IllegalStateException("interrupted while waiting for CPU workers", e);
            }
        }
        switch (failure) {
            case null -> {}
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> throw new IllegalStateException("CPU worker failed", failure);
        }
    }

    @Override public void close() {
        if (pool != null) pool.shutdown();
    }
}
