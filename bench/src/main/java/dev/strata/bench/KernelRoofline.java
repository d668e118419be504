// The kernel roofline tool: times single ops at the shapes the GPU targets name, on any
// backend, with device timing after warm-up, and prints one JSON line per figure
// (name, metric, value, ms, check). Shapes: BF16 GEMV 14336×4096 (GB/s of weights), decode
// attention B64 32/8 heads L4096 D128 (GB/s of K+V read), causal prefill attention B4 H32 S4096
// D128 (TFLOP/s, flops = 4·B·H·S²·D / 2), and an F32 scale over 1 GiB (copy-like GB/s, read+write).
// Correctness of the GEMV is checked against the CPU backend on the same data.
// Options narrow a run for small devices (PoCL on a CPU): --ops gemv,gemm,attention,scale,sample
// (default all but gemm), --dtypes F32,BF16 (weight dtypes of gemv/gemm; default BF16), --gemv NxK,...
// (default the target shapes above), --gemm MxKxN,... (prefill matmul, GFLOP/s = 2·M·K·N / time,
// OUT_IN weights; default 512x2048x2048), --decode-attention BxHxKVxLxD (batch, query heads, KV
// heads, cached length, head dim; default 64x32x8x4096x128), --prefill-attention BxHxKVxSxD,... (causal
// prefill; default 4x32x32x4096x128); naming only one of the two runs only that one;
// --attention-compute BF16,F32 (default): the prefill attention's AttentionSpec.compute, one figure
// each (F32 q/k/v in memory; BF16/F16 lets CUDA run the products on tensor cores);
// --sample-vocab V (default 128256, Llama 3's vocabulary): the Sample op on logits [rows, V] drawn
// from N(0, 2.5²), rows 1 and 32, greedy and three sampling settings, and top-k 40 / top-p 0.95 over
// rows masked to -inf but for 32 tokens (fewer than k), µs per launch, each draw compared with the CPU
// backend's on the same logits (ops: sample).
package dev.strata.bench;

import dev.strata.engine.backend.BackendOptions;
import dev.strata.engine.backend.Backends;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.backend.RecordedWork;
import dev.strata.engine.exec.DeviceWeights;
import dev.strata.engine.exec.GraphExecutor;
import dev.strata.engine.graph.Graph;
import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.graph.WeightCatalog;
import dev.strata.engine.kv.KvCache;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.ops.AttentionSpec;
import dev.strata.engine.ops.Sample;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.runtime.SamplingParams;
import dev.strata.engine.tensor.HostTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

public final class KernelRoofline {
    private static final int WARMUP = 3, TIMED = 20;
    /** Launches per timed call (one device-graph replay where the device records graphs). */
    private static final int BATCH = 20;

    public static void main(String[] args) {
        Map<String, String> opt = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) opt.put(args[i], args[i + 1]);
        String backend = opt.getOrDefault("--backend", "auto");
        List<String> ops = List.of(opt.getOrDefault("--ops", "gemv,attention,scale,sample").split(","));
        List<DType> dtypes = Arrays.stream(opt.getOrDefault("--dtypes", "BF16").split(",")).map(DType::valueOf).toList();
        List<int[]> gemvShapes = shapes(opt.getOrDefault("--gemv", "14336x4096,512x2048,2048x2048,8192x2048,2048x8192,128256x2048"));
        List<int[]> gemmShapes = shapes(opt.getOrDefault("--gemm", "512x2048x2048"));
        try (ComputeDevice dev = Backends.select(backend).open(BackendOptions.defaults()); Arena arena = Arena.ofShared()) {
            String device = dev.description();
            if (ops.contains("gemv"))
                for (DType dt : dtypes)
                    for (int i = 0; i < gemvShapes.size(); i++) gemv(dev, arena, device, dt, gemvShapes.get(i)[0], gemvShapes.get(i)[1], i == 0);
            if (ops.contains("gemm"))
                for (DType dt : dtypes)
                    for (int[] s : gemmShapes) gemm(dev, arena, device, dt, s[0], s[1], s[2]);
            if (ops.contains("attention")) {
                boolean both = !opt.containsKey("--decode-attention") && !opt.containsKey("--prefill-attention");
                if (both || opt.containsKey("--decode-attention")) {
                    int[] a = shapes(opt.getOrDefault("--decode-attention", "64x32x8x4096x128")).get(0);
                    decodeAttention(dev, arena, device, a[0], a[1], a[2], a[3], a[4]);
                }
                if (both || opt.containsKey("--prefill-attention")) {
                    for (int[] a : shapes(opt.getOrDefault("--prefill-attention", "4x32x32x4096x128")))
                        for (String c : opt.getOrDefault("--attention-compute", "BF16,F32").split(","))
                            prefillAttention(dev, arena, device, a[0], a[1], a[2], a[3], a[4], DType.valueOf(c));
                }
            }
            if (ops.contains("scale")) scale(dev, arena, device);
            if (ops.contains("sample")) sample(dev, arena, device, Integer.parseInt(opt.getOrDefault("--sample-vocab", "128256")));
        }
    }

    /** "14336x4096,512x2048" → {{14336, 4096}, {512, 2048}}. */
    static List<int[]> shapes(String list) {
        return Arrays.stream(list.split(",")).map(s -> Arrays.stream(s.split("x")).mapToInt(Integer::parseInt).toArray()).toList();
    }

    /** An in-memory weight set: name → (dtype, shape, bytes). */
    static final class Weights implements WeightCatalog {
        final Map<String, Entry> entries = new HashMap<>();
        final Map<String, MemorySegment> data = new HashMap<>();

        void put(String name, DType dtype, long[] shape, MemorySegment bytes) {
            entries.put(name, new Entry(name, dtype, shape));
            data.put(name, bytes);
        }

        public Entry find(String name) { return entries.get(name); }
    }

    /** n uniform [-0.05, 0.05) weights stored as dtype (F32 or BF16). */
    static MemorySegment randomWeights(Arena arena, DType dtype, long n, long seed) {
        if (dtype == DType.BF16) return randomBf16(arena, n, seed);
        if (dtype != DType.F32) throw new IllegalArgumentException("benchmark weights are F32 or BF16; got " + dtype);
        MemorySegment s = arena.allocate(n * 4, 64);
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i < n; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (r.nextDouble() * 2 - 1) * 0.05f);
        return s;
    }

    static MemorySegment randomBf16(Arena arena, long n, long seed) {
        MemorySegment s = arena.allocate(n * 2, 64);
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i < n; i++) s.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToRawIntBits((float) (r.nextDouble() * 2 - 1) * 0.05f) >>> 16));
        return s;
    }

    static HostTensor randomF32(Arena arena, long seed, long... shape) {
        HostTensor t = HostTensor.allocate(arena, DType.F32, shape);
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i < t.elementCount(); i++) t.data().setAtIndex(HostTensor.F32, i, (float) (r.nextDouble() * 2 - 1));
        return t;
    }

    static HostTensor ints(Arena arena, int rows, java.util.function.IntUnaryOperator f) {
        HostTensor t = HostTensor.allocate(arena, DType.I32, rows, 1);
        for (int i = 0; i < rows; i++) t.data().setAtIndex(HostTensor.I32, i, f.applyAsInt(i));
        return t;
    }

    /**
     * Median device time of one `work` in ms: BATCH of them back to back per timed call, recorded
     * once into a device graph where the device has them (CUDA), so that the host's launch cost
     * (a cold JVM's first launches through FFM take longer than a short kernel) is not counted;
     * launched eagerly elsewhere.
     */
    static double medianMs(ComputeDevice dev, Runnable work) {
        Runnable batch = () -> {
            for (int b = 0; b < BATCH; b++) work.run();
        };
        for (int i = 0; i < WARMUP; i++) work.run();
        dev.synchronize();
        try (RecordedWork timed = new RecordedWork(dev, batch)) {
            timed.run();
            double[] ms = new double[TIMED];
            for (int i = 0; i < TIMED; i++) ms[i] = timed.timeNanos() / 1e6 / BATCH;
            java.util.Arrays.sort(ms);
            return ms[TIMED / 2];
        }
    }

    static void emit(String name, String device, String metric, double value, double ms, String check) {
        System.out.printf(Locale.ROOT, "{\"source\":\"strata\",\"name\":\"%s\",\"device\":\"%s\",\"metric\":\"%s\",\"value\":%.2f,\"ms\":%.4f,\"check\":\"%s\"}%n",
                name, device.replace("\"", "'"), metric, value, ms, check);
        System.out.flush();
    }

    static void gemv(ComputeDevice dev, Arena arena, String device, DType dtype, int n, int k, boolean check) {
        Weights w = new Weights();
        w.put("w", dtype, new long[] {n, k}, randomWeights(arena, dtype, (long) n * k, 1));
        GraphBuilder g = new GraphBuilder(w);
        Tensor x = g.input("x", DType.F32, 1, k);
        g.output("y", g.matmul(x, g.weight("w", n, k), null, WeightLayout.OUT_IN, "y"));
        Graph graph = g.build();
        HostTensor xv = randomF32(arena, 2, 1, k);
        Map<String, HostTensor> in = Map.of("x", xv);
        try (DeviceWeights dw = new DeviceWeights(dev, w.data::get); GraphExecutor ex = new GraphExecutor(graph, dw)) {
            ex.run(in, null);
            double ms = medianMs(dev, () -> launchNodes(ex, null));
            HostTensor y = ex.read("y", arena);
            String result = "not checked";
            if (check) try (ComputeDevice cpu = Backends.select("cpu").open(BackendOptions.defaults());
                 DeviceWeights cw = new DeviceWeights(cpu, w.data::get); GraphExecutor ref = new GraphExecutor(graph, cw)) {
                ref.run(in, null);
                result = String.format(Locale.ROOT, "max rel err vs cpu %.1e", relErr(y, ref.read("y", arena)));
            }
            emit("gemv_" + dtype.name().toLowerCase(Locale.ROOT) + "_" + n + "x" + k, device, "GB/s", (double) dtype.bytesFor((long) n * k) / (ms * 1e-3) / 1e9, ms, result);
        }
    }

    /** Prefill matmul y[m, n] = x[m, k] · W[n, k]ᵀ; GFLOP/s = 2·m·k·n / time. */
    static void gemm(ComputeDevice dev, Arena arena, String device, DType dtype, int m, int k, int n) {
        Weights w = new Weights();
        w.put("w", dtype, new long[] {n, k}, randomWeights(arena, dtype, (long) n * k, 1));
        GraphBuilder g = new GraphBuilder(w);
        Tensor x = g.input("x", DType.F32, m, k);
        g.output("y", g.matmul(x, g.weight("w", n, k), null, WeightLayout.OUT_IN, "y"));
        Graph graph = g.build();
        Map<String, HostTensor> in = Map.of("x", randomF32(arena, 2, m, k));
        try (DeviceWeights dw = new DeviceWeights(dev, w.data::get); GraphExecutor ex = new GraphExecutor(graph, dw)) {
            ex.run(in, null);
            double ms = medianMs(dev, () -> launchNodes(ex, null));
            emit("gemm_" + dtype.name().toLowerCase(Locale.ROOT) + "_" + m + "x" + k + "x" + n, device, "GFLOP/s", 2.0 * m * k * n / (ms * 1e-3) / 1e9, ms, "flops = 2*M*K*N");
        }
    }

    static void decodeAttention(ComputeDevice dev, Arena arena, String device, int b, int h, int kvh, int len, int d) {
        GraphBuilder g = new GraphBuilder(name -> null);
        Tensor q = g.input("q", DType.F32, b, h * d), k = g.input("k", DType.F32, b, kvh * d), v = g.input("v", DType.F32, b, kvh * d);
        Tensor past = g.input("past", DType.I32, b, 1), slots = g.input("slots", DType.I32, b, 1);
        AttentionSpec spec = new AttentionSpec(b, 1, h, kvh, d, (float) (1 / Math.sqrt(d)), true, 0);
        g.output("o", g.attention(q, k, v, past, slots, null, spec, "o"));
        Graph graph = g.build();
        Map<String, HostTensor> in = Map.of("q", randomF32(arena, 3, b, h * d), "k", randomF32(arena, 4, b, kvh * d),
                "v", randomF32(arena, 5, b, kvh * d), "past", ints(arena, b, i -> len - 1), "slots", ints(arena, b, i -> i));
        try (DeviceWeights dw = new DeviceWeights(dev, name -> null); GraphExecutor ex = new GraphExecutor(graph, dw);
             KvCache kv = new KvCache(dev.allocateKv(new KvSpec(1, b, len, kvh, d)))) {
            ex.run(in, kv);
            double ms = medianMs(dev, () -> launchNodes(ex, kv));
            double bytes = 2.0 * b * len * kvh * d * Float.BYTES;
            emit("decode_attention_f32kv_b" + b + "_h" + h + "_kv" + kvh + "_l" + len + "_d" + d, device, "GB/s", bytes / (ms * 1e-3) / 1e9, ms, "K+V F32 bytes read once");
        }
    }

    /**
     * Causal prefill attention, uncached, F32 q/k/v; TFLOP/s = 4·B·H·S²·D/2 / time. A 16-bit
     * `compute` is checked against the same device's F32 kernel on the same inputs (NMSE).
     */
    static void prefillAttention(ComputeDevice dev, Arena arena, String device, int b, int h, int kvh, int s, int d, DType compute) {
        Map<String, HostTensor> in = Map.of("q", randomF32(arena, 6, b * s, h * d), "k", randomF32(arena, 7, b * s, kvh * d),
                "v", randomF32(arena, 8, b * s, kvh * d), "past", ints(arena, b, i -> 0), "slots", ints(arena, b, i -> i));
        Graph graph = prefillAttentionGraph(b, h, kvh, s, d, compute);
        try (DeviceWeights dw = new DeviceWeights(dev, name -> null); GraphExecutor ex = new GraphExecutor(graph, dw)) {
            ex.run(in, null);
            double ms = medianMs(dev, () -> launchNodes(ex, null));
            String check = "flops = 4*B*H*S^2*D/2";
            if (compute != DType.F32) {
                HostTensor o = ex.read("o", arena);
                try (GraphExecutor f32 = new GraphExecutor(prefillAttentionGraph(b, h, kvh, s, d, DType.F32), dw)) {
                    f32.run(in, null);
                    check += String.format(Locale.ROOT, "; NMSE vs the F32 kernel %.1e", nmse(o, f32.read("o", arena)));
                }
            }
            double flops = 4.0 * b * h * (double) s * s * d / 2;
            String name = "prefill_attention_" + compute.name().toLowerCase(Locale.ROOT) + "_causal_b" + b + "_h" + h + (kvh == h ? "" : "_kv" + kvh) + "_s" + s + "_d" + d;
            emit(name, device, "TFLOP/s", flops / (ms * 1e-3) / 1e12, ms, check);
        }
    }

    static Graph prefillAttentionGraph(int b, int h, int kvh, int s, int d, DType compute) {
        GraphBuilder g = new GraphBuilder(name -> null);
        Tensor q = g.input("q", DType.F32, b * s, h * d), k = g.input("k", DType.F32, b * s, kvh * d), v = g.input("v", DType.F32, b * s, kvh * d);
        Tensor past = g.input("past", DType.I32, b, 1), slots = g.input("slots", DType.I32, b, 1);
        AttentionSpec spec = new AttentionSpec(b, s, h, kvh, d, (float) (1 / Math.sqrt(d)), true, -1).withCompute(compute);
        g.output("o", g.attention(q, k, v, past, slots, null, spec, "o"));
        return g.build();
    }

    /** Σ(a−b)² / Σb² over two tensors of the same size; infinite when a has a NaN. */
    static double nmse(HostTensor a, HostTensor b) {
        double err = 0, ref = 0;
        for (long i = 0; i < a.elementCount(); i++) {
            double x = a.getDouble(i), y = b.getDouble(i);
            if (Double.isNaN(x)) return Double.POSITIVE_INFINITY;
            err += (x - y) * (x - y);
            ref += y * y;
        }
        return err / ref;
    }

    static void scale(ComputeDevice dev, Arena arena, String device) {
        int rows = 16384, cols = 16384;
        GraphBuilder g = new GraphBuilder(name -> null);
        Tensor x = g.input("x", DType.F32, rows, cols);
        g.output("y", g.scale(x, 1f, "y"));
        Graph graph = g.build();
        Map<String, HostTensor> in = Map.of("x", HostTensor.allocate(arena, DType.F32, rows, cols));
        try (DeviceWeights dw = new DeviceWeights(dev, name -> null); GraphExecutor ex = new GraphExecutor(graph, dw)) {
            ex.run(in, null);
            double ms = medianMs(dev, () -> launchNodes(ex, null));
            emit("scale_f32_1GiB", device, "GB/s", 2.0 * rows * cols * Float.BYTES / (ms * 1e-3) / 1e9, ms, "read+write bytes");
        }
    }

    /**
     * Sampling settings KernelRoofline times: name, temperature, top-k, top-p, and how many logits
     * of a row stay finite (0: all; else the rest are -inf, as under a constrained-decoding mask).
     */
    private static final String[][] SAMPLE_SETTINGS = {{"greedy", "0", "0", "1", "0"}, {"t0.8_k40_p0.95", "0.8", "40", "0.95", "0"},
            {"t0.8_p0.95", "0.8", "0", "0.95", "0"}, {"t1", "1", "0", "1", "0"}, {"masked32_t0.8_k40_p0.95", "0.8", "40", "0.95", "32"}};

    /**
     * The Sample op: µs per launch over logits [rows, vocab] ~ N(0, 2.5²) (one seed per row), and
     * how many draws equal the CPU backend's (SampleCpu) on the same logits; a draw may differ only
     * by float rounding at a cut or a near tie.
     */
    static void sample(ComputeDevice dev, Arena arena, String device, int vocab) {
        try (ComputeDevice cpu = Backends.select("cpu").open(BackendOptions.defaults())) {
            for (int rows : new int[] {1, 32}) sample(dev, cpu, arena, device, vocab, rows);
        }
    }

    private static void sample(ComputeDevice dev, ComputeDevice cpu, Arena arena, String device, int vocab, int rows) {
        GraphBuilder g = new GraphBuilder(name -> null);
        Tensor logits = g.input("logits", DType.F32, rows, vocab), params = g.input("params", DType.I32, rows, Sample.PARAMS);
        g.output("token", g.sample(logits, params, "token"));
        Graph graph = g.build();
        HostTensor unmasked = HostTensor.allocate(arena, DType.F32, rows, vocab);
        SplittableRandom r = new SplittableRandom(11);
        for (long i = 0; i < unmasked.elementCount(); i++) unmasked.data().setAtIndex(HostTensor.F32, i, (float) (2.5 * r.nextGaussian()));
        for (String[] setting : SAMPLE_SETTINGS) {
            int finite = Math.min(Integer.parseInt(setting[4]), vocab);
            HostTensor x = finite == 0 ? unmasked : masked(arena, unmasked, finite);
            int[] packed = new int[rows * Sample.PARAMS];
            for (int row = 0; row < rows; row++) {
                new SamplingParams(Float.parseFloat(setting[1]), Integer.parseInt(setting[2]), Float.parseFloat(setting[3]), 0, 1 + row, 1, List.of(), false)
                        .pack(0, packed, row * Sample.PARAMS);
            }
            HostTensor p = HostTensor.allocate(arena, DType.I32, rows, Sample.PARAMS);
            MemorySegment.copy(packed, 0, p.data(), ValueLayout.JAVA_INT, 0, packed.length);
            Map<String, HostTensor> in = Map.of("logits", x, "params", p);
            try (DeviceWeights dw = new DeviceWeights(dev, name -> null); GraphExecutor ex = new GraphExecutor(graph, dw);
                 DeviceWeights cw = new DeviceWeights(cpu, name -> null); GraphExecutor ref = new GraphExecutor(graph, cw)) {
                ex.run(in, null);
                double ms = medianMs(dev, () -> launchNodes(ex, null));
                HostTensor drawn = ex.read("token", arena);
                ref.run(in, null);
                HostTensor expected = ref.read("token", arena);
                int equal = 0;
                for (int row = 0; row < rows; row++) {
                    if (drawn.data().getAtIndex(HostTensor.I32, row) == expected.data().getAtIndex(HostTensor.I32, row)) equal++;
                }
                emit("sample_" + setting[0] + "_rows" + rows + "_vocab" + vocab, device, "us", ms * 1e3, ms,
                        "draws equal to the cpu backend's: " + equal + "/" + rows);
            }
        }
    }

    /** A copy of logits [rows, vocab] with every token but `finite` evenly spaced ones of each row set to -inf. */
    static HostTensor masked(Arena arena, HostTensor logits, int finite) {
        long rows = logits.shape()[0], vocab = logits.shape()[1];
        HostTensor x = HostTensor.allocate(arena, DType.F32, rows, vocab);
        for (long i = 0; i < x.elementCount(); i++) {
            boolean keep = (i % vocab) % (vocab / finite) == 0 && (i % vocab) / (vocab / finite) < finite;
            x.data().setAtIndex(HostTensor.F32, i, keep ? logits.data().getAtIndex(HostTensor.F32, i) : Float.NEGATIVE_INFINITY);
        }
        return x;
    }

    /** Launches every node of an executor's graph again, without re-writing its inputs: kernels only. */
    static void launchNodes(GraphExecutor ex, KvCache kv) {
        for (int i = 0; i < ex.graph().nodes().size(); i++) ex.launchNode(i, kv);
    }

    static double relErr(HostTensor a, HostTensor b) {
        double maxDiff = 0, maxRef = 0;
        for (long i = 0; i < a.elementCount(); i++) {
            double x = a.getDouble(i), y = b.getDouble(i);
            if (Double.isNaN(x)) return Double.POSITIVE_INFINITY;
            maxDiff = Math.max(maxDiff, Math.abs(x - y));
            maxRef = Math.max(maxRef, Math.abs(y));
        }
        return maxDiff / maxRef;
    }
}
