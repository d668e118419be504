// A per-sequence KV cache: device storage plus how many tokens each slot holds. The attention
// op appends at a slot's length; the session advances lengths after a step completes.
package dev.strata.engine.kv;

import java.util.Arrays;

public final class KvCache implements AutoCloseable {
    private final KvStorage storage;
    private final int[] lengths;

    public KvCache(KvStorage storage) {
        this.storage = storage;
        this.lengths = new int[storage.spec().slots()];
    }

    public KvStorage storage() { return storage; }

    public KvSpec spec() { return storage.spec(); }

    public int length(int slot) { return lengths[slot]; }

    /** Room check before a step: throws naming the slot and capacity when n more tokens do not fit. */
    public void ensureRoom(int slot, int n) {
        if ((long) lengths[slot] + n > spec().capacity()) {
            throw new IllegalArgumentException("sequence in KV slot " + slot + " holds " + lengths[slot] + " tokens; "
                    + n + " more exceed the cache capacity of " + spec().capacity());
        }
    }

    public void advance(int slot, int n) {
        ensureRoom(slot, n);
        lengths[slot] += n;
    }

    public void reset(int slot) { lengths[slot] = 0; }

    /** Forgets the slot's tokens from `length` on (a step run past a stop); later steps overwrite their rows. */
    public void truncate(int slot, int length) {
        if (length < 0 || length > lengths[slot]) {
            throw new IllegalArgumentException("truncate KV slot " + slot + " to " + length + " tokens; it holds " + lengths[slot]);
        }
        lengths[slot] = length;
    }

    public void resetAll() { Arrays.fill(lengths, 0); }

    @Override public void close() { storage.close(); }
}
