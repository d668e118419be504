// Liveness-based memory plan: every input and activation gets a byte offset in one arena,
// reusing the space of tensors whose last reader has run. Views share their base's space;
// outputs live to the end. First-fit over free ranges, 256-byte aligned.
package dev.strata.engine.graph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

public final class MemoryPlan {
    public static final long ALIGN = 256;

    private final Map<Integer, Long> offsets;
    private final long peakBytes;
    private final long unplannedBytes;

    private MemoryPlan(Map<Integer, Long> offsets, long peakBytes, long unplannedBytes) {
        this.offsets = offsets;
        this.peakBytes = peakBytes;
        this.unplannedBytes = unplannedBytes;
    }

    /** Bytes the arena needs. */
    public long peakBytes() { return peakBytes; }

    /** Bytes that would be needed if every tensor had its own buffer. */
    public long unplannedBytes() { return unplannedBytes; }

    /** Byte offset of a planned tensor's storage (views: of their base). */
    public long offset(Tensor t) {
        Long off = offsets.get(t.storage().id());
        if (off == null) throw new IllegalArgumentException(t + " is not in the memory plan (kind " + t.kind() + ")");
        return off;
    }

    public static long bytesOf(Tensor t) { return t.dtype().bytesFor(t.elementCount()); }

    public static MemoryPlan plan(Graph g) {
        int n = g.nodes().size();
        Map<Integer, Integer> def = new HashMap<>();
        Map<Integer, Integer> lastUse = new HashMap<>();
        List<Tensor> planned = new ArrayList<>();
        for (Tensor in : g.inputs().values()) {
            def.put(in.id(), -1);
            lastUse.put(in.id(), -1);
            planned.add(in);
        }
        for (int i = 0; i < n; i++) {
            Node node = g.nodes().get(i);
            for (Tensor in : node.op().inputs()) {
                Tensor s = in.storage();
                if (lastUse.containsKey(s.id())) lastUse.put(s.id(), i);
            }
            def.put(node.out().id(), i);
            lastUse.put(node.out().id(), i);
            planned.add(node.out());
        }
        for (Tensor out : g.outputs().values()) lastUse.put(out.storage().id(), n);

        record Block(long start, long end, int freeAfter) {}
        List<Block> live = new ArrayList<>();
        Map<Integer, Long> offsets = new HashMap<>();
        long peak = 0, total = 0;
        for (Tensor t : planned) {
            int d = def.get(t.id());
            live.removeIf(b -> b.freeAfter < d);
            long size = align(bytesOf(t));
            total += size;
            live.sort((a, b) -> Long.compare(a.start, b.start));
            long candidate = 0;
            for (Block b : live) {
                if (b.start - candidate >= size) break;
                candidate = Math.max(candidate, b.end);
            }
            offsets.put(t.id(), candidate);
            live.add(new Block(candidate, candidate + size, lastUse.get(t.id())));
            peak = Math.max(peak, candidate + size);
        }
        return new MemoryPlan(offsets, peak, total);
    }

    private static long align(long bytes) { return (bytes + ALIGN - 1) / ALIGN * ALIGN; }
}
