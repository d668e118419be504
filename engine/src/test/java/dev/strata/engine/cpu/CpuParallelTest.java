// CpuParallel: every index of a range runs exactly once whatever the grain and thread count, a
// loop nested in a worker runs inline, a failing chunk's exception reaches the caller, and two
// callers sharing one pool at once both get every index (one of them runs inline).
package dev.strata.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class CpuParallelTest {
    @Test
    void coversEveryIndexOnce() {
        for (int threads : new int[] {1, 2, 3, 8}) {
            try (CpuParallel par = new CpuParallel(threads)) {
                for (int n : new int[] {1, 2, 7, 64, 1001}) {
                    for (int grain : new int[] {1, 3, 100}) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(n);
                        par.forRange(n, grain, (from, to) -> {
                            for (int i = from; i < to; i++) hits.incrementAndGet(i);
                        });
                        for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "threads=" + threads + " n=" + n + " grain=" + grain + " index " + i);
                    }
                }
            }
        }
    }

    @Test
    void concurrentCallersShareThePool() throws Exception {
        try (CpuParallel par = new CpuParallel(2)) {
            int n = 5000;
            AtomicIntegerArray a = new AtomicIntegerArray(n), b = new AtomicIntegerArray(n);
            Thread other = new Thread(() -> {
                for (int r = 0; r < 200; r++) par.forRange(n, 1, (from, to) -> { for (int i = from; i < to; i++) b.incrementAndGet(i); });
            });
            other.start();
            for (int r = 0; r < 200; r++) par.forRange(n, 1, (from, to) -> { for (int i = from; i < to; i++) a.incrementAndGet(i); });
            other.join();
            for (int i = 0; i < n; i++) {
                assertEquals(200, a.get(i), "caller A index " + i);
                assertEquals(200, b.get(i), "caller B index " + i);
            }
        }
    }

    @Test
    void nestedLoopsRunAndFailuresPropagate() {
        try (CpuParallel par = new CpuParallel(2)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(16 * 16);
            par.forRange(16, 1, (from, to) -> {
                for (int i = from; i < to; i++) {
                    int row = i;
                    par.forRange(16, 1, (f, t) -> {
                        for (int j = f; j < t; j++) hits.incrementAndGet(row * 16 + j);
                    });
                }
            });
            for (int i = 0; i < 256; i++) assertEquals(1, hits.get(i), "index " + i);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> par.forRange(64, 1, (from, to) -> {
                if (from <= 40 && 40 < to) throw new IllegalStateException("chunk with 40");
            }));
            assertEquals("chunk with 40", e.getMessage());
        }
    }
}
