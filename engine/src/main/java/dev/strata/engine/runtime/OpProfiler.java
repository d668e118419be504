// Per-op device time of one graph step, two ways; used by `strata bench --profile` to show where a
// decode step's time goes.
// - profile (isolated): for each node, the step is replayed up to it (so its inputs hold what they
//   held in the step), then the node is re-launched REPEAT times back to back — recorded into a
//   device graph where the device has them, so host launch cost is not counted — and timed with
//   device events. Repeats of an op whose data fits in the last-level cache (an 8 MB projection on
//   a 50 MB-L2 GPU) read it from cache, so memory-bound ops with small weights come out optimistic.
// - inStep: T(i) is the device time of nodes [0, i) recorded as one device graph, launched right
//   after a whole step so that the caches hold what a step leaves in them (the weights of its last
//   layers and head, not those of its first); node i takes T(i + 1) − T(i). These sum to the whole
//   step (T(n)) and include what isolation hides: weights read cold from DRAM, kernel boundaries,
//   the overlap one kernel's tail gives the next. Each is the difference of two timings, so a node
//   under a microsecond can come out slightly negative.
// Results per node, summed per op kind, and per role (the node's name without its layer: "qkv-3" → "qkv").
package dev.strata.engine.runtime;

import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.backend.RecordedWork;
import dev.strata.engine.exec.GraphExecutor;
import dev.strata.engine.graph.Node;
import dev.strata.engine.kv.KvCache;
import dev.strata.engine.ops.OpKind;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

public final class OpProfiler {
    public static final int REPEAT = 20;
    /** Timings of each prefix in inStep; the best one counts. */
    public static final int PREFIX_TRIALS = 5;
    private static final Pattern LAYER_SUFFIX = Pattern.compile("-\\d+$");

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
            try (RecordedWork timed = new RecordedWork(dev, repeat)) {
                timed.run();
                long best = timed.bestNanos(3, () -> {});
                out.add(new OpTime(nodes.get(i).out().name(), nodes.get(i).op().kind(), best / 1e3 / REPEAT));
            }
        }
        return out;
    }

    /**
     * In-step device time of every node (see the file's header): nodes [0, i) are recorded as one device graph
     * (launched eagerly where the device has none) for each i and timed after a whole step. The
     * executor must have run once; its KV appends rewrite the same rows.
     */
    public static List<OpTime> inStep(GraphExecutor ex, KvCache kv) {
        ComputeDevice dev = ex.device();
        List<Node> nodes = ex.graph().nodes();
        int n = nodes.size();
        double[] prefixMicros = new double[n + 1];
        for (int i = 0; i <= n; i++) {
            int count = i;
            Runnable prefix = () -> {
                for (int j = 0; j < count; j++) ex.launchNode(j, kv);
            };
            try (RecordedWork timed = new RecordedWork(dev, prefix, count > 0)) {
                long best = timed.bestNanos(PREFIX_TRIALS, () -> {
                    if (!ex.replayRecorded(kv)) ex.replayPrefix(n, kv);
                    ex.rewriteInputs();
                });
                prefixMicros[i] = best / 1e3;
            }
        }
        List<OpTime> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new OpTime(nodes.get(i).out().name(), nodes.get(i).op().kind(), prefixMicros[i + 1] - prefixMicros[i]));
        }
        return out;
    }

    /** The node's name without its layer (GraphBuilder.name's "role-layer"): "qkv-3" → "qkv". */
    public static String role(String name) { return LAYER_SUFFIX.matcher(name).replaceFirst(""); }

    /** Summed micros per role, in the order roles first appear in the step. */
    public static Map<String, Double> byRole(List<OpTime> times) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (OpTime t : times) m.merge(role(t.name()), t.micros(), Double::sum);
        return m;
    }

    /** Summed micros per op kind, in op-set order. */
    public static Map<OpKind, Double> byKind(List<OpTime> times) {
        Map<OpKind, Double> m = new EnumMap<>(OpKind.class);
        for (OpTime t : times) m.merge(t.kind(), t.micros(), Double::sum);
        return m;
    }
}
