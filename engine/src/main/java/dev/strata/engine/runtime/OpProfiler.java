// Per-op device time of one graph step: for each node, the step is replayed up to it (so its
// inputs hold what they held in the step), then the node is re-launched REPEAT times back to
// back — recorded into a device graph where the device has them, so host launch cost is not
// counted — and timed with device events. Results per node and summed per op kind; used by
// `strata bench --profile` to show where a decode step's time goes. Caveat: repeats of an op
// whose data fits in the last-level cache (an 8 MB projection on a 50 MB-L2 GPU) read it from
// cache, so memory-bound ops with small weights come out optimistic.
package dev.strata.engine.runtime;

import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.exec.GraphExecutor;
import dev.strata.engine.graph.Node;
import dev.strata.engine.kv.KvCache;
import dev.strata.engine.ops.OpKind;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

public final class OpProfiler {
    public static final int REPEAT = 20;

    public record OpTime(String name, OpKind kind, double micros) {}

    private OpProfiler() {}

    /** The executor must have run once (inputs written, scratch sized). */
    public static List<OpTime> profile(GraphExecutor ex, KvCache kv) {
        ComputeDevice dev = ex.device();
        List<OpTime> out = new ArrayList<>();
        List<Node> nodes = ex.graph().nodes();
        for (int i = 0; i < nodes.size(); i++) {
            int index = i;
            Runnable repeat = () -> {
                for (int r = 0; r < REPEAT; r++) ex.launchNode(index, kv);
            };
            ex.replayPrefix(i, kv);
            try (ComputeDevice.Replay replay = dev.capture(repeat)) {
                Runnable timed = replay == null ? repeat : replay::launch;
                timed.run();
                long best = Long.MAX_VALUE;
                for (int t = 0; t < 3; t++) best = Math.min(best, dev.timeNanos(timed));
                out.add(new OpTime(nodes.get(i).out().name(), nodes.get(i).op().kind(), best / 1e3 / REPEAT));
            }
        }
        return out;
    }

    /** Summed micros per op kind, in op-set order. */
    public static Map<OpKind, Double> byKind(List<OpTime> times) {
        Map<OpKind, Double> m = new EnumMap<>(OpKind.class);
        for (OpTime t : times) m.merge(t.kind(), t.micros(), Double::sum);
        return m;
    }
}
