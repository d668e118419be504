// KvCache bookkeeping: lengths per slot, the capacity error naming slot, length and capacity,
// reset; KvSpec rejects non-positive or overflowing geometry.
package dev.strata.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.cpu.CpuDevice;
import dev.strata.engine.kv.KvCache;
import dev.strata.engine.kv.KvSpec;
import org.junit.jupiter.api.Test;

class KvCacheTest {
    @Test
    void capacityErrorNamesSlotLengthAndCapacity() {
        try (CpuDevice d = new CpuDevice(true, 1); KvCache kv = new KvCache(d.allocateKv(new KvSpec(2, 3, 10, 2, 8)))) {
            kv.advance(1, 7);
            kv.ensureRoom(1, 3);
            assertEquals(7, kv.length(1));
            assertEquals(0, kv.length(0));
            var e = assertThrows(IllegalArgumentException.class, () -> kv.ensureRoom(1, 4));
            assertEquals("sequence in KV slot 1 holds 7 tokens; 4 more exceed the cache capacity of 10", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> kv.advance(1, 4));
            assertEquals(7, kv.length(1), "a refused advance leaves the length");
            kv.advance(0, 10);
            kv.reset(1);
            assertEquals(0, kv.length(1));
            assertEquals(10, kv.length(0));
            kv.resetAll();
            assertEquals(0, kv.length(0));
        }
    }

    @Test
    void specRejectsBadGeometry() {
        var e = assertThrows(IllegalArgumentException.class, () -> new KvSpec(2, 0, 10, 2, 8));
        assertTrue(e.getMessage().contains("must be positive"), e.getMessage());
        assertThrows(ArithmeticException.class, () -> new KvSpec(1 << 20, 1 << 10, 1 << 20, 64, 128));
        KvSpec s = new KvSpec(2, 3, 10, 2, 8);
        assertEquals(16, s.rowWidth());
        assertEquals(2L * 2 * 3 * 10 * 16 * 4, s.bytes());
    }
}
