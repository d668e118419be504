// Launch plans without a GPU: every node of real model graphs (prefill and decode, Llama and
// GPT-2 fixtures, F32 and BF16; T5 and Marian encoder and decoder graphs) gets kernels that exist in the built fatbins with matching
// parameter kinds, sane grids, cuBLAS calls with consistent leading dimensions, and the
// matmul/attention ladders pick the documented kernels.
package dev.strata.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strata.engine.graph.Graph;
import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.graph.MemoryPlan;
import dev.strata.engine.graph.Node;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.graph.WeightCatalog;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.model.ForwardOptions;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.ops.Activation;
import dev.strata.engine.ops.Argmax;
import dev.strata.engine.ops.Attention;
import dev.strata.engine.ops.AttentionSpec;
import dev.strata.engine.ops.MatMul;
import dev.strata.engine.ops.Sample;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.engine.tensor.DType;
import dev.strata.nativelib.Cublas;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CudaLaunchPlanTest {
    static Map<String, List<String>> signatures;

    @BeforeAll
    static void readSignatures() throws Exception {
        Path dir = PtxSignatures.ptxDir();
        if (dir != null) signatures = PtxSignatures.read(dir);
    }

    /** Fake device addresses: each tensor's storage at a distinct 1 MiB-aligned address. */
    static final class FakeContext implements PlanContext {
        final Graph graph;
        final MemoryPlan plan;
        final boolean cublas;
        final Map<String, Long> scratch = new HashMap<>();
        final KvSpec kv;
        /** H100's opt-in shared memory per block; tests lower it to model smaller GPUs. */
        int sharedOptIn = 232_448;

        FakeContext(Graph graph, boolean cublas, KvSpec kv) {
            this.graph = graph;
            this.plan = MemoryPlan.plan(graph);
            this.cublas = cublas;
            this.kv = kv;
        }

        public DevTensor tensor(Tensor t) {
            long base = switch (t.kind()) {
                case WEIGHT, CONSTANT -> 0x7000_0000_0000L + ((long) t.id() << 24);
                case EXTERNAL -> 0x3000_0000_0000L + ((long) t.id() << 24);
                default -> 0x1000_0000_0000L + plan.offset(t);
            };
            return new DevTensor(base + t.dtype().bytesFor(t.viewOffset()), t.rows(), t.cols(), t.rowStride(), t.dtype());
        }

        public long scratch(String purpose, long bytes) {
            scratch.merge(purpose, bytes, Math::max);
            return 0x5000_0000_0000L + ((long) purpose.hashCode() & 0xffff) * (1L << 32);
        }

        public long zeroedScratch(String purpose, long bytes) { return scratch(purpose, bytes); }

        public boolean cublas() { return cublas; }

        public int multiprocessors() { return 132; }

        public int sharedOptIn() { return sharedOptIn; }

        public KvSpec kvSpec() { return kv; }

        public long kvKeys(int layer) { return 0x6000_0000_0000L + ((long) layer << 32); }

        public long kvValues(int layer) { return 0x6800_0000_0000L + ((long) layer << 32); }
    }

    static Path fixture(String name) {
        Path p = Path.of(System.getProperty("strata.fixtures", "../../shared/fixtures"), name);
        assumeTrue(Files.isDirectory(p), "fixture " + name + " not found");
        return p;
    }

    static List<Launch> planAll(Graph g, FakeContext ctx) {
        List<Launch> all = new ArrayList<>();
        for (Node n : g.nodes()) all.addAll(CudaLaunchPlans.plan(n.op(), ctx, ctx.tensor(n.out())));
        return all;
    }

    @ParameterizedTest(name = "{0} batch {1} seq {2} cublas {3}")
    @CsvSource({"llama-gqa,2,11,true", "llama-gqa,2,1,true", "llama-gqa-bf16,2,11,true", "llama-gqa-bf16,3,1,false",
            "gpt2,2,11,true", "gpt2,1,1,true", "qwen2,2,11,false", "llama-mqa,4,1,true"})
    void everyLaunchMatchesACompiledKernel(String model, int batch, int seq, boolean cublas) throws Exception {
        try (LoadedModel m = LoadedModel.open(fixture(model))) {
            Graph g = m.definition().build(m, batch, seq, ForwardOptions.EVAL);
            KvSpec kv = new KvSpec(m.config().numLayers(), batch, 64, m.definition().kvHeads(), m.definition().headDim());
            FakeContext ctx = new FakeContext(g, cublas, kv);
            List<Launch> launches = planAll(g, ctx);
            assertFalse(launches.isEmpty());
            for (Launch l : launches) {
                switch (l) {
                    case Launch.Kernel k -> checkKernel(k);
                    case Launch.Gemm gemm -> {
                        assertTrue(cublas, "cuBLAS call planned without cuBLAS");
                        assertTrue(gemm.m() > 0 && gemm.n() > 0 && gemm.k() > 0);
                        assertTrue(gemm.ldc() >= gemm.m(), "ldc " + gemm.ldc() + " < m " + gemm.m());
                        int aRows = gemm.transA() == Cublas.OP_N ? gemm.m() : gemm.k();
                        assertTrue(gemm.lda() >= aRows, "lda " + gemm.lda() + " < " + aRows);
                        assertTrue(gemm.ldb() >= gemm.k(), "ldb " + gemm.ldb() + " < k " + gemm.k());
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} batch {1} seq {2} cublas {3}")
    @CsvSource({"bert,2,9,true", "bert-classifier,3,17,false"})
    void everyEncoderLaunchMatchesACompiledKernel(String model, int batch, int seq, boolean cublas) throws Exception {
        try (LoadedModel m = LoadedModel.open(fixture(model))) {
            Graph g = m.encoder().build(m, batch, seq, true);
            FakeContext ctx = new FakeContext(g, cublas, new KvSpec(1, 1, 1, 1, 1));
            List<Launch> launches = planAll(g, ctx);
            assertFalse(launches.isEmpty());
            for (Launch l : launches) if (l instanceof Launch.Kernel k) checkKernel(k);
        }
    }

    static void checkKernel(Launch.Kernel k) {
        assertTrue(k.gridY() <= 65535 && k.gridZ() <= 65535, k.function() + " grid y/z over 65535");
        assumeTrue(signatures != null, "CUDA kernels not built (no nvcc): signatures not checked");
        List<String> params = signatures.get(k.module() + "/" + k.function());
        assertNotNull(params, "kernel " + k.function() + " not found in " + k.module() + ".fatbin");
        assertEquals(params.size(), k.args().size(), k.function() + " parameter count");
        for (int i = 0; i < params.size(); i++) {
            Object a = k.args().get(i);
            String t = params.get(i);
            String expected = switch (a) {
                case Launch.Ptr p -> "u64";
                case Float f -> "f32";
                default -> t.equals("s32") ? "s32" : "u32";
            };
            assertEquals(expected, t, k.function() + " parameter " + i);
        }
    }

    static void checkAll(List<Launch> launches, boolean cublas) {
        assertFalse(launches.isEmpty());
        for (Launch l : launches) {
            switch (l) {
                case Launch.Kernel k -> checkKernel(k);
                case Launch.Gemm gemm -> assertTrue(cublas && gemm.m() > 0 && gemm.n() > 0 && gemm.k() > 0 && gemm.ldc() >= gemm.m(), gemm.toString());
            }
        }
    }

    /**
     * Encoder, teacher-forced decoder and one-token decode graphs of the encoder-decoder fixtures:
     * every launch matches a compiled kernel; cross-attention runs the prefill kernel over kvLen =
     * source length keys; T5's position bias reaches both attention kernels with keyCols = kvLen
     * (encoder) or the KV capacity (decoder).
     */
    @ParameterizedTest(name = "{0} cublas {1}")
    @CsvSource({"t5,true", "marian,false"})
    void encoderDecoderLaunches(String model, boolean cublas) throws Exception {
        int batch = 2, src = 9, capacity = 11;
        try (LoadedModel m = LoadedModel.open(fixture(model))) {
            var def = m.encoderDecoder();
            var c = def.encoderDecoder();
            KvSpec kv = new KvSpec(c.decoderLayers(), batch, capacity, c.decoderHeads(), c.headDim());
            Graph enc = def.buildEncoder(m, batch, src);
            FakeContext ectx = new FakeContext(enc, cublas, kv);
            checkAll(planAll(enc, ectx), cublas);
            for (Node n : enc.nodes()) {
                if (!(n.op() instanceof Attention a)) continue;
                Launch.Kernel k = (Launch.Kernel) CudaLaunchPlans.plan(a, ectx, ectx.tensor(n.out())).get(0);
                assertEquals("attention_prefill_f32", k.function());
                assertEquals(src, k.args().get(21), "kvLen");
                assertEquals(model.equals("t5"), ((Launch.Ptr) k.args().get(15)).address() != 0, "position bias pointer");
                assertEquals(model.equals("t5") ? src : 0, k.args().get(17), "bias key columns");
            }
            for (int seq : new int[] {6, 1}) {
                Graph dec = def.buildDecoder(m, batch, src, seq, capacity, seq == 1 ? ForwardOptions.GENERATE : ForwardOptions.EVAL);
                FakeContext dctx = new FakeContext(dec, cublas, kv);
                checkAll(planAll(dec, dctx), cublas);
                int cross = 0, self = 0;
                for (Node n : dec.nodes()) {
                    if (!(n.op() instanceof Attention a)) continue;
                    List<Launch> plan = CudaLaunchPlans.plan(a, dctx, dctx.tensor(n.out()));
                    if (a.spec().cached()) {
                        self++;
                        Launch.Kernel k = (Launch.Kernel) plan.getLast();
                        boolean fused = seq == 1 && batch <= AttentionCuda.FUSED_KV_APPEND_MAX_BATCH;
                        assertEquals(fused ? 1 : 2, plan.size(), "the KV append, fused into decode attention up to a batch");
                        assertEquals(seq == 1 ? fused ? "attention_decode_append_f32" : "attention_decode_f32" : "attention_prefill_f32", k.function());
                        int biasAt = seq == 1 ? fused ? 14 : 10 : 15; // the fused kernel takes the step's k and v (4 arguments) after q
                        assertEquals(model.equals("t5"), ((Launch.Ptr) k.args().get(biasAt)).address() != 0, "position bias pointer");
                        assertEquals(model.equals("t5") ? capacity : 0, k.args().get(biasAt + 2), "bias key columns");
                    } else {
                        cross++;
                        Launch.Kernel k = (Launch.Kernel) plan.get(0);
                        assertEquals(1, plan.size());
                        assertEquals("attention_prefill_f32", k.function());
                        assertEquals(src, k.args().get(21), "cross-attention kvLen");
                        assertTrue(((Launch.Ptr) k.args().get(2)).address() >= 0x3000_0000_0000L && ((Launch.Ptr) k.args().get(2)).address() < 0x4000_0000_0000L,
                                "cross-attention keys are the bound external tensor");
                    }
                }
                assertEquals(c.decoderLayers(), cross);
                assertEquals(c.decoderLayers(), self);
            }
        }
    }

    @Test
    void decodeMatmulUsesGemvAndPrefillUsesCublas() throws Exception {
        try (LoadedModel m = LoadedModel.open(fixture("llama-gqa-bf16"))) {
            for (int seq : new int[] {1, 11}) {
                Graph g = m.definition().build(m, 2, seq, ForwardOptions.GENERATE);
                FakeContext ctx = new FakeContext(g, true, new KvSpec(2, 2, 64, 2, 8));
                for (Node n : g.nodes()) {
                    if (!(n.op() instanceof MatMul mm)) continue;
                    List<Launch> plan = CudaLaunchPlans.plan(mm, ctx, ctx.tensor(n.out()));
                    List<String> kernels = plan.stream().filter(l -> l instanceof Launch.Kernel).map(l -> ((Launch.Kernel) l).function()).toList();
                    if (mm.m() <= MatMulCuda.GEMV_MAX_ROWS && mm.fused()) {
                        String expected = "gemv_fused_" + (mm.gate() != null ? "gate_" : "") + (mm.m() == 1 ? "m1_" : "") + "bf16";
                        assertEquals(List.of(expected), kernels, "decode: one launch for the matmul and its fused parts");
                    } else if (mm.m() <= MatMulCuda.GEMV_MAX_ROWS) {
                        assertEquals(List.of(MatMulCuda.splitColumns(mm.n(), 132) > 0 ? "gemv_out_in_split_bf16" : "gemv_out_in_bf16"), kernels);
                    } else {
                        int first = mm.prenorm() != null ? 1 : 0;
                        if (mm.prenorm() != null) assertEquals("rms_norm_bf16", kernels.get(0));
                        assertEquals("cast_f32_to_bf16", kernels.get(first));
                        assertTrue(plan.stream().anyMatch(l -> l instanceof Launch.Gemm gemm && gemm.abType() == Cublas.R_16BF));
                        if (mm.gate() != null) assertTrue(kernels.contains("gated_activate_f32"), kernels.toString());
                        if (mm.rotary() != null) assertEquals("rope_f32", kernels.getLast());
                        if (mm.residual() != null) assertEquals("add_f32", kernels.getLast());
                    }
                }
            }
        }
    }

    @Test
    void llamaDecodeStepIsFiveLaunchesPerLayer() throws Exception {
        try (LoadedModel m = LoadedModel.open(fixture("llama-gqa-bf16"))) {
            Graph g = m.definition().build(m, 1, 1, ForwardOptions.GENERATE);
            FakeContext ctx = new FakeContext(g, true, new KvSpec(m.config().numLayers(), 1, 64, m.definition().kvHeads(), m.definition().headDim()));
            List<Launch> launches = planAll(g, ctx);
            // per layer: the stacked q/k/v projection (RMSNorm and RoPE fused), KV append (fused into
            // the next by default at batch 1), attention decode (split combine fused), o_proj (+ residual),
            // gate·up (RMSNorm + activation fused), down (+ residual); then the embedding and the LM
            // head (final RMSNorm fused; one new token per sequence: no last-row gather).
            int perLayer = 1 <= AttentionCuda.FUSED_KV_APPEND_MAX_BATCH ? 5 : 6;
            assertEquals(perLayer * m.config().numLayers() + 2, launches.size(), launches.stream().map(l -> l instanceof Launch.Kernel k ? k.function() : "gemm").toList().toString());
            assertTrue(launches.stream().noneMatch(l -> l instanceof Launch.Kernel k
                    && List.of("rms_norm_bf16", "add_f32", "gated_activate_f32", "rope_f32").contains(k.function())));
        }
    }

    /** Drawing the next token on the device is one more launch: sample_f32, one 1024-thread block per sequence, after the LM head. */
    @ParameterizedTest(name = "batch {0}")
    @CsvSource({"1", "3"})
    void sampledDecodeStepEndsWithOneSampleLaunch(int batch) throws Exception {
        try (LoadedModel m = LoadedModel.open(fixture("llama-gqa-bf16"))) {
            Graph g = m.definition().build(m, batch, 1, ForwardOptions.SAMPLE);
            FakeContext ctx = new FakeContext(g, true, new KvSpec(m.config().numLayers(), batch, 64, m.definition().kvHeads(), m.definition().headDim()));
            List<Launch> launches = planAll(g, ctx);
            int perLayer = batch <= AttentionCuda.FUSED_KV_APPEND_MAX_BATCH ? 5 : 6;
            assertEquals(perLayer * m.config().numLayers() + 3, launches.size());
            Launch.Kernel last = (Launch.Kernel) launches.getLast();
            assertEquals("sample_f32", last.function());
            assertEquals(batch, last.gridX());
            assertEquals(1024, last.block());
            assertEquals(3, last.args().get(6), "options: strata.cuda.sampleCompact and strata.cuda.sampleTopPRejection on, sampleWarpPick and sampleSplitTopK off by default (sampleSplitDraw is no option bit)");
            assertEquals(List.of(true, true, false, false, false), List.of(ElementwiseCuda.SAMPLE_COMPACT, ElementwiseCuda.SAMPLE_TOP_P_REJECTION,
                    ElementwiseCuda.SAMPLE_WARP_PICK, ElementwiseCuda.SAMPLE_SPLIT_TOP_K, ElementwiseCuda.SAMPLE_SPLIT_DRAW));
            for (Node n : g.nodes()) {
                if (n.op() instanceof dev.strata.engine.ops.Sample sample) {
                    for (int options = 0; options < 16; options++) {
                        Launch.Kernel on = (Launch.Kernel) ElementwiseCuda.sample(sample, ctx, ctx.tensor(n.out()), options, false).getFirst();
                        assertEquals(options, on.args().get(6));
                        checkKernel(on);
                    }
                }
            }
            checkAll(launches, true);
        }
    }

    /**
     * With strata.cuda.argmaxSplit, argmax_f32 and sample_f32 take a (rows, splits) grid, one split
     * per 8,192 columns up to 32, and scratch for the parts (rows·splits values and indices) and the
     * zeroed per-row counters; unsplit (the default) they take one block per row and null scratch.
     */
    @ParameterizedTest(name = "[{0}, {1}]")
    @CsvSource({"1, 1000, 1", "3, 8192, 1", "3, 8193, 2", "1, 128256, 16", "32, 128256, 16", "2, 1000000, 32"})
    void argmaxAndGreedyDrawsSplitLongRows(int rows, int cols, int splits) {
        assertEquals(false, ElementwiseCuda.ARGMAX_SPLIT, "off until timed on a GPU");
        assertEquals(splits, ElementwiseCuda.argmaxSplits(cols));
        GraphBuilder b = new GraphBuilder(name -> null);
        Tensor x = b.input("x", DType.F32, rows, cols);
        b.output("a", b.argmax(x, "a"));
        b.output("s", b.sample(x, b.input("p", DType.I32, rows, Sample.PARAMS), "s"));
        Graph g = b.build();
        for (boolean split : new boolean[] {false, true}) {
            FakeContext ctx = new FakeContext(g, true, new KvSpec(1, 1, 1, 1, 1));
            for (Node n : g.nodes()) {
                List<Launch> plan = switch (n.op()) {
                    case Argmax a -> ElementwiseCuda.argmax(a, ctx, ctx.tensor(n.out()), split);
                    case Sample sa -> ElementwiseCuda.sample(sa, ctx, ctx.tensor(n.out()), ElementwiseCuda.SAMPLE_OPTIONS, split);
                    default -> throw new AssertionError(n.op().toString());
                };
                Launch.Kernel k = (Launch.Kernel) plan.getFirst();
                int expected = split ? splits : 1;
                String op = k.function().startsWith("argmax") ? "argmax" : "sample";
                assertEquals(List.of(rows, expected, 1024), List.of(k.gridX(), k.gridY(), k.block()), k.function());
                int trailing = op.equals("sample") ? 4 : 0;  // sample_f32's candV, candI, rowArgmax, partZ: null without the split top-k and draw
                List<Object> scratch = k.args().subList(k.args().size() - 3 - trailing, k.args().size() - trailing);
                assertEquals(Collections.nCopies(trailing, new Launch.Ptr(0)), k.args().subList(k.args().size() - trailing, k.args().size()));
                if (expected == 1) {
                    assertEquals(List.of(new Launch.Ptr(0), new Launch.Ptr(0), new Launch.Ptr(0)), scratch, k.function());
                } else {
                    long partV = ((Launch.Ptr) scratch.get(0)).address();
                    assertEquals(partV + (long) rows * expected * Float.BYTES, ((Launch.Ptr) scratch.get(1)).address(), "partI after rows·splits values");
                    assertEquals(2L * rows * expected * Float.BYTES, ctx.scratch.get(op + "_split_parts"));
                    assertEquals((long) rows * Integer.BYTES, ctx.scratch.get(op + "_split_counters"));
                }
                checkKernel(k);
            }
        }
    }

    /**
     * With option bit 3 (strata.cuda.sampleSplitTopK) on a split launch, sample_f32 takes a second
     * zeroed counter per row and SAMPLE_CANDIDATES candidate values and tokens per row; unsplit
     * (one split, or no split asked for) those stay null and the counters one per row.
     */
    @ParameterizedTest(name = "[{0}, {1}]")
    @CsvSource({"1, 8192, 1", "1, 128256, 16", "32, 128256, 16", "3, 32003, 4"})
    void splitTopKTakesCandidateScratch(int rows, int cols, int splits) {
        assertEquals(false, ElementwiseCuda.SAMPLE_SPLIT_TOP_K, "off until timed on a GPU");
        GraphBuilder b = new GraphBuilder(name -> null);
        b.output("s", b.sample(b.input("x", DType.F32, rows, cols), b.input("p", DType.I32, rows, Sample.PARAMS), "s"));
        Graph g = b.build();
        for (boolean split : new boolean[] {false, true}) {
            FakeContext ctx = new FakeContext(g, true, new KvSpec(1, 1, 1, 1, 1));
            Node n = g.nodes().getLast();
            Launch.Kernel k = (Launch.Kernel) ElementwiseCuda.sample((Sample) n.op(), ctx, ctx.tensor(n.out()), ElementwiseCuda.SAMPLE_OPTIONS | 8, split).getFirst();
            int expected = split ? splits : 1;
            assertEquals(List.of(rows, expected, ElementwiseCuda.SAMPLE_OPTIONS | 8), List.of(k.gridX(), k.gridY(), k.args().get(6)));
            List<Object> cand = k.args().subList(SAMPLE_CAND_V, SAMPLE_CAND_V + 2);
            assertEquals(new Launch.Ptr(0), k.args().get(SAMPLE_ROW_ARGMAX), "no row argmax without the split draw");
            if (expected == 1) {
                assertEquals(List.of(new Launch.Ptr(0), new Launch.Ptr(0)), cand);
                assertEquals(null, ctx.scratch.get("sample_candidates"));
            } else {
                long values = (long) rows * ElementwiseCuda.SAMPLE_CANDIDATES * Float.BYTES;
                assertEquals(((Launch.Ptr) cand.get(0)).address() + values, ((Launch.Ptr) cand.get(1)).address(), "candI after rows·CAND_CAP values");
                assertEquals(2 * values, ctx.scratch.get("sample_candidates"));
                assertEquals(2L * rows * Integer.BYTES, ctx.scratch.get("sample_split_counters"), "the parts' count, then the candidates' count, per row");
            }
            checkKernel(k);
        }
    }

    /** sample_f32's argument positions: candV (then candI), rowArgmax and partZ. */
    static final int SAMPLE_CAND_V = 10, SAMPLE_ROW_ARGMAX = 12, SAMPLE_PART_Z = 13;

    /**
     * With strata.cuda.sampleSplitDraw on a split launch, the Sample op is argmax_f32 over the
     * logits into scratch (split the same way, with scratch of its own), then sample_f32 taking that
     * scratch as rowArgmax and rows · (splits + 2) u64 of scratch as partZ (top-p rows' parts of Z,
     * then each row's Z and token), then sample_f32's test launch: the same arguments but option
     * bit 4. Unsplit (one split) it stays one launch with a null rowArgmax and partZ.
     */
    @ParameterizedTest(name = "[{0}, {1}]")
    @CsvSource({"1, 8192, 1", "1, 128256, 16", "32, 128256, 16"})
    void splitDrawLaunchesTheRowArgmaxFirst(int rows, int cols, int splits) {
        assertEquals(false, ElementwiseCuda.SAMPLE_SPLIT_DRAW, "off until timed on a GPU");
        GraphBuilder b = new GraphBuilder(name -> null);
        b.output("s", b.sample(b.input("x", DType.F32, rows, cols), b.input("p", DType.I32, rows, Sample.PARAMS), "s"));
        Graph g = b.build();
        FakeContext ctx = new FakeContext(g, true, new KvSpec(1, 1, 1, 1, 1));
        Node n = g.nodes().getLast();
        List<Launch> plan = ElementwiseCuda.sample((Sample) n.op(), ctx, ctx.tensor(n.out()), ElementwiseCuda.SAMPLE_OPTIONS, true, true);
        Launch.Kernel sample = (Launch.Kernel) plan.get(plan.size() == 1 ? 0 : 1);
        assertEquals(List.of("sample_f32", rows, splits), List.of(sample.function(), sample.gridX(), sample.gridY()));
        if (splits == 1) {
            assertEquals(1, plan.size());
            assertEquals(new Launch.Ptr(0), sample.args().get(SAMPLE_ROW_ARGMAX));
            assertEquals(new Launch.Ptr(0), sample.args().get(SAMPLE_PART_Z));
        } else {
            assertEquals(3, plan.size());
            Launch.Kernel argmax = (Launch.Kernel) plan.getFirst(), test = (Launch.Kernel) plan.getLast();
            List<Object> testArgs = new ArrayList<>(test.args());
            assertEquals(ElementwiseCuda.SAMPLE_OPTIONS | ElementwiseCuda.SAMPLE_TEST_LAUNCH, testArgs.get(ElementwiseCuda.SAMPLE_OPTIONS_ARG));
            testArgs.set(ElementwiseCuda.SAMPLE_OPTIONS_ARG, ElementwiseCuda.SAMPLE_OPTIONS);
            assertEquals(sample.args(), testArgs, "the test launch: sample_f32's arguments but option bit 4");
            assertEquals(List.of("sample_f32", rows, splits), List.of(test.function(), test.gridX(), test.gridY()));
            checkKernel(test);
            assertEquals(List.of("argmax_f32", rows, splits), List.of(argmax.function(), argmax.gridX(), argmax.gridY()));
            assertEquals(sample.args().get(SAMPLE_ROW_ARGMAX), argmax.args().get(2), "sample_f32 reads the argmax's output");
            assertEquals((long) rows * Integer.BYTES, ctx.scratch.get("sample_row_argmax"));
            assertEquals((long) rows * Integer.BYTES, ctx.scratch.get("sample_argmax_split_counters"), "the argmax's own counters");
            assertEquals(ctx.scratch.get("sample_split_counters"), (long) rows * Integer.BYTES, "and the draw's");
            assertEquals((long) rows * (splits + 2) * Long.BYTES, ctx.scratch.get("sample_split_z"), "a u64 part of Z per row and split, then Z and the token");
            assertTrue(((Launch.Ptr) sample.args().get(SAMPLE_PART_Z)).address() != 0);
            checkKernel(argmax);
        }
        checkKernel(sample);
    }

    /** ElementwiseCuda.SAMPLE_CANDIDATES sizes the global candidates; sample.cu's CAND_CAP the shared ones and the kernel's bound. */
    @Test
    void sampleCandidatesMatchTheKernel() throws Exception {
        Path dir = PtxSignatures.ptxDir();
        assumeTrue(dir != null, "CUDA kernels not built (no nvcc)");
        String ptx = Files.readString(dir.resolve("sample.ptx"), StandardCharsets.UTF_8);
        assertTrue(ptx.matches("(?s).*\\.shared \\.align 4 \\.b8 \\w+E5candL\\[" + ElementwiseCuda.SAMPLE_CANDIDATES * Float.BYTES + "\\];.*"),
                "sample_f32's shared candL holds SAMPLE_CANDIDATES floats");
    }

    /** scale_f32 takes a grid for a quarter of the elements where it moves float4s (cols a multiple of 4), else one per element. */
    @ParameterizedTest(name = "[{0}, {1}]")
    @CsvSource({"3, 1024, 3", "1, 6, 1", "2, 257, 3", "100000, 1024, " + ElementwiseCuda.MAX_GRID})
    void scaleLaunchesAGridForItsVectors(int rows, int cols, int blocks) {
        GraphBuilder b = new GraphBuilder(name -> null);
        b.output("y", b.scale(b.input("x", DType.F32, rows, cols), 0.5f, "y"));
        Graph g = b.build();
        List<Launch> launches = planAll(g, new FakeContext(g, true, new KvSpec(1, 1, 1, 1, 1)));
        Launch.Kernel k = (Launch.Kernel) launches.getFirst();
        assertEquals(List.of("scale_f32", blocks), List.of(k.function(), k.gridX()));
        checkAll(launches, true);
    }

    /** A view 4 bytes past an aligned buffer (a column slice) moves scalars, as the kernel will. */
    @Test
    void scaleMovesVectorsOnlyFromAlignedTensors() {
        DevTensor aligned = new DevTensor(4096, 2, 8, 8, DType.F32), offset = new DevTensor(4100, 2, 8, 8, DType.F32);
        assertTrue(ElementwiseCuda.scaleMovesVectors(aligned, aligned));
        assertFalse(ElementwiseCuda.scaleMovesVectors(offset, aligned));
        assertFalse(ElementwiseCuda.scaleMovesVectors(aligned, offset));
        assertFalse(ElementwiseCuda.scaleMovesVectors(new DevTensor(4096, 2, 8, 10, DType.F32), aligned), "a stride of 10 floats");
    }

    /**
     * A checkpoint may store inv_freq in the weights' 16-bit dtype: RoPE then launches the kernel
     * that widens that dtype (rope_bf16, rope_f16), and a decode q/k projection with such a
     * rotary part runs the GEMV and that RoPE kernel instead of gemv_fused, whose epilogue reads
     * F32 frequencies. Both match the PTX.
     */
    @ParameterizedTest(name = "inv_freq {0}")
    @CsvSource({"F32,rope_f32,gemv_fused_m1_bf16", "BF16,rope_bf16,gemv_out_in_bf16 rope_bf16", "F16,rope_f16,gemv_out_in_bf16 rope_f16"})
    void ropeReadsInvFreqInItsStoredDtype(DType invDtype, String rope, String projection) {
        int heads = 4, headDim = 32, k = 64, n = heads * headDim;
        WeightCatalog catalog = name -> switch (name) {
            case "rotary.inv_freq" -> new WeightCatalog.Entry(name, invDtype, new long[] {headDim / 2});
            case "q_proj.weight" -> new WeightCatalog.Entry(name, DType.BF16, new long[] {n, k});
            default -> null;
        };
        GraphBuilder b = new GraphBuilder(catalog);
        Tensor positions = b.input("positions", DType.I32, 1, 1), invFreq = b.weight("rotary.inv_freq", 1, headDim / 2);
        b.output("roped", b.rope(b.input("x", DType.F32, 1, n), positions, invFreq, heads, headDim, headDim, "roped"));
        b.output("q", b.matmul(new MatMul(b.input("h", DType.F32, 1, k), b.weight("q_proj.weight", n, k), null, WeightLayout.OUT_IN, null, null,
                new MatMul.Rotary(positions, invFreq, heads, headDim, headDim), null), "q"));
        Graph g = b.build();
        FakeContext ctx = new FakeContext(g, true, new KvSpec(1, 1, 1, 1, 1));
        List<Launch> launches = planAll(g, ctx);
        List<String> names = launches.stream().map(l -> ((Launch.Kernel) l).function()).toList();
        assertEquals(rope, names.getFirst());
        assertEquals(List.of(projection.split(" ")), names.subList(1, names.size()).stream()
                .map(f -> f.startsWith("gemv_out_in_split") ? "gemv_out_in" + f.substring("gemv_out_in_split".length()) : f).toList());
        checkAll(launches, true);
    }

    @Test
    void fusedGemvPartsAreParsedAndUnknownOnesRejected() {
        assertEquals(java.util.Set.of("gate", "residual"), MatMulCuda.fusedParts(" gate, residual "));
        assertEquals(java.util.Set.of(), MatMulCuda.fusedParts("none"));
        assertEquals(java.util.Set.of("prenorm", "gate", "rotary", "residual"), MatMulCuda.FUSED_PARTS, "default: every part fused");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MatMulCuda.fusedParts("prenorm,bogus"));
        assertTrue(e.getMessage().contains("bogus"), e.getMessage());
    }

    @Test
    void pdlSwitchIsParsedOnByDefaultAndRejectsOtherValues() {
        assertTrue(CudaDevice.pdl(" on "));
        assertEquals(false, CudaDevice.pdl("off"));
        assertTrue(CudaDevice.PDL, "default: on (timed on the H100)");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CudaDevice.pdl("auto"));
        assertTrue(e.getMessage().contains("expected on or off"), e.getMessage());
    }

    @Test
    void withoutCublasLargeMatmulsRunAsGemvChunks() throws Exception {
        try (LoadedModel m = LoadedModel.open(fixture("gpt2"))) {
            Graph g = m.definition().build(m, 2, 11, ForwardOptions.EVAL);
            FakeContext ctx = new FakeContext(g, false, new KvSpec(2, 2, 64, 4, 16));
            for (Node n : g.nodes()) {
                if (!(n.op() instanceof MatMul mm)) continue;
                List<Launch> plan = CudaLaunchPlans.plan(mm, ctx, ctx.tensor(n.out()));
                // the fused activation (c_fc) or residual add (c_proj) follows the product as its op's kernel
                String epilogue = mm.activation() != null ? "activate_f32" : mm.residual() != null ? "add_f32" : null;
                int products = plan.size() - (epilogue == null ? 0 : 1);
                assertEquals((22 + 7) / 8, products);
                if (epilogue != null) assertEquals(epilogue, ((Launch.Kernel) plan.getLast()).function());
                String expected = mm.layout() == dev.strata.engine.ops.WeightLayout.IN_OUT ? "gemv_in_out_f32" : "gemv_out_in_f32";
                for (Launch l : plan.subList(0, products)) assertTrue(((Launch.Kernel) l).function().startsWith(expected.replace("_f32", "")), ((Launch.Kernel) l).function());
            }
        }
    }

    /**
     * Prefill attention (strata.cuda.prefillAttention=staged) takes the tensor-core kernel exactly where the spec allows 16-bit products,
     * the head size is 64 or 128 and the device has its shared memory (an sm_86 opt-in of 99 KiB
     * holds both head sizes; less does not hold 128); it launches 128-row blocks of 256 threads and
     * matches the PTX.
     */
    @ParameterizedTest(name = "{0} head dim {1} opt-in {2}")
    @CsvSource({"BF16,128,232448,attention_prefill_mma_bf16_d128", "F16,64,232448,attention_prefill_mma_f16_d64",
            "BF16,64,101376,attention_prefill_mma_bf16_d64", "F16,128,101376,attention_prefill_mma_f16_d128",
            "BF16,128,99000,attention_prefill_f32",
            "F32,128,232448,attention_prefill_f32", "BF16,96,232448,attention_prefill_f32", "F16,256,232448,attention_prefill_f32"})
    void prefillAttentionUsesTensorCoresFor16BitCompute(DType compute, int headDim, int optIn, String expected) {
        int batch = 2, seq = 300, heads = 8, kvHeads = 2;
        AttentionSpec spec = new AttentionSpec(batch, seq, heads, kvHeads, headDim, 0.125f, true, -1).withCompute(compute);
        AttentionGraph ag = attentionGraph(spec);
        Graph g = ag.graph();
        Tensor out = ag.out();
        FakeContext ctx = new FakeContext(g, true, new KvSpec(1, 1, 1, 1, 1));
        ctx.sharedOptIn = optIn;
        Attention a = ag.op();
        Launch.Kernel k = (Launch.Kernel) AttentionCuda.plan(a, ctx, ctx.tensor(out), AttentionCuda.PrefillMode.STAGED).getFirst();
        assertEquals(expected, k.function());
        if (expected.contains("mma")) {
            assertEquals("attention_mma", k.module());
            assertEquals((seq + 127) / 128, k.gridX());
            assertEquals(AttentionCuda.MMA_THREADS, k.block());
            assertEquals(AttentionCuda.mmaSharedBytes(headDim), k.sharedBytes());
            assertTrue(k.sharedBytes() <= optIn);
        }
        assertEquals(heads, k.gridY());
        assertEquals(batch, k.gridZ());
        checkKernel(k);
    }

    /** A graph of one self-attention op over q/k/v inputs shaped by the spec, its op and its output. */
    record AttentionGraph(Graph graph, Attention op, Tensor out) {}

    static AttentionGraph attentionGraph(AttentionSpec s) {
        int rows = s.batch() * s.seqLen(), kvCols = s.kvHeads() * s.headDim();
        GraphBuilder b = new GraphBuilder(null);
        Tensor out = b.attention(b.input("q", DType.F32, rows, s.heads() * s.headDim()), b.input("k", DType.F32, rows, kvCols),
                b.input("v", DType.F32, rows, kvCols), b.input("past", DType.I32, s.batch(), 1), b.input("slots", DType.I32, s.batch(), 1),
                null, s, "attn");
        b.output("out", out);
        Graph g = b.build();
        return new AttentionGraph(g, (Attention) g.nodes().stream().filter(n -> n.op() instanceof Attention).findFirst().orElseThrow().op(), out);
    }

    @Test
    void prefillAttentionSwitchIsParsed() {
        assertEquals(AttentionCuda.PrefillMode.STAGED, AttentionCuda.prefillMode("staged"));
        assertEquals(AttentionCuda.PrefillMode.F32, AttentionCuda.prefillMode("f32"));
        assertEquals(AttentionCuda.PrefillMode.KV16, AttentionCuda.prefillMode("kv16"));
        assertEquals(AttentionCuda.PrefillMode.KV16W32, AttentionCuda.prefillMode("kv16w32"));
        assertEquals(AttentionCuda.PrefillMode.KV16NM, AttentionCuda.prefillMode("kv16nm"));
        assertEquals(AttentionCuda.PrefillMode.AUTO, AttentionCuda.prefillMode("auto"));
        assertEquals(AttentionCuda.PrefillMode.AUTO, AttentionCuda.PREFILL_MODE, "default: auto (by shape, timed on the H200)");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AttentionCuda.prefillMode("bf16"));
        assertTrue(e.getMessage().contains("expected auto, kv16, kv16nm, kv16w32, staged or f32"), e.getMessage());
    }

    /**
     * strata.cuda.prefillAttention=kv16 (and kv16w32): kv_to16 rounds the keys (the cache
     * capacity's worth when cached) into the two halves of one scratch, then the kv16 kernel reads
     * them; both match the PTX. A scratch over KV16_MAX_SCRATCH keeps the F32-staging kernel; F32
     * compute the F32 kernel. kv16w32 launches 128-thread blocks with Q's shared memory added, and
     * falls back to the kv16 kernel where the device's opt-in shared memory cannot hold that (and
     * with a mask or bias: kv16w32MaskedAttentionTakesTheKv16Kernel).
     */
    @ParameterizedTest(name = "{0} {1} head dim {2} cached {3} capacity {4} opt-in {5}")
    @CsvSource({"KV16,BF16,128,false,0,232448,attention_prefill_mma_kv16_bf16_d128", "KV16,F16,64,false,0,232448,attention_prefill_mma_kv16_f16_d64",
            "KV16,BF16,64,true,4096,232448,attention_prefill_mma_kv16_bf16_d64", "KV16,BF16,128,true,1048576,232448,attention_prefill_mma_bf16_d128",
            "KV16,F32,128,false,0,232448,attention_prefill_f32",
            "KV16W32,BF16,128,false,0,232448,attention_prefill_mma_kv16w32_bf16_d128", "KV16W32,F16,64,true,4096,232448,attention_prefill_mma_kv16w32_f16_d64",
            "KV16W32,BF16,128,false,0,101376,attention_prefill_mma_kv16_bf16_d128", "KV16W32,BF16,64,false,0,101376,attention_prefill_mma_kv16w32_bf16_d64",
            "KV16NM,BF16,128,false,0,232448,attention_prefill_mma_kv16nm_bf16_d128", "KV16NM,F16,64,true,4096,101376,attention_prefill_mma_kv16nm_f16_d64"})
    void kv16PrefillRoundsKeysOnceThenReadsThem(AttentionCuda.PrefillMode mode, DType compute, int headDim, boolean cached, int capacity, int optIn,
                                                String expected) {
        int batch = 2, seq = 300, heads = 8, kvHeads = 2;
        AttentionSpec spec = new AttentionSpec(batch, seq, heads, kvHeads, headDim, 0.125f, true, cached ? 0 : -1).withCompute(compute);
        AttentionGraph ag = attentionGraph(spec);
        Graph g = ag.graph();
        Tensor out = ag.out();
        FakeContext ctx = new FakeContext(g, true, new KvSpec(1, batch, Math.max(1, capacity), kvHeads, headDim));
        ctx.sharedOptIn = optIn;
        Attention a = ag.op();
        List<Launch> plan = AttentionCuda.plan(a, ctx, ctx.tensor(out), mode);
        List<Launch.Kernel> kernels = plan.stream().map(l -> (Launch.Kernel) l).toList();
        assertEquals(expected, kernels.getLast().function());
        kernels.forEach(CudaLaunchPlanTest::checkKernel);
        if (!expected.contains("kv16")) {
            assertTrue(kernels.stream().noneMatch(k -> k.function().startsWith("kv_to16")));
            return;
        }
        Launch.Kernel round = kernels.get(kernels.size() - 2), attn = kernels.getLast();
        int keys = cached ? capacity : seq;
        assertEquals("kv_to16_" + (compute == DType.BF16 ? "bf16" : "f16"), round.function());
        assertEquals(List.of((keys + 31) / 32, kvHeads, batch), List.of(round.gridX(), round.gridY(), round.gridZ()));
        long k16 = ((Launch.Ptr) round.args().get(10)).address(), v16 = ((Launch.Ptr) round.args().get(11)).address();
        assertEquals(2L * batch * kvHeads * keys * headDim, v16 - k16, "V half follows the K half");
        assertEquals(List.of(new Launch.Ptr(k16), new Launch.Ptr(v16), keys), attn.args().subList(2, 5));
        assertEquals(List.of((seq + 127) / 128, heads, batch), List.of(attn.gridX(), attn.gridY(), attn.gridZ()));
        boolean w32 = expected.contains("kv16w32");
        assertEquals(w32 ? AttentionCuda.mmaKv16W32SharedBytes(headDim) : AttentionCuda.mmaKv16SharedBytes(headDim), attn.sharedBytes());
        assertEquals(w32 ? 128 : 256, attn.block());
        assertTrue(attn.sharedBytes() <= optIn);
        assertEquals(cached ? List.of("kv_append_f32", round.function(), attn.function()) : List.of(round.function(), attn.function()),
                kernels.stream().map(Launch.Kernel::function).toList());
    }

    /** The kv16w32 and kv16nm kernels take no padding mask or position bias: with either, those modes plan the kv16 kernel. */
    @Test
    void unmaskedKernelsLeaveMaskedAttentionToTheKv16Kernel() {
        AttentionSpec s = new AttentionSpec(2, 300, 8, 2, 128, 0.125f, true, -1).withCompute(DType.BF16);
        assertEquals("attention_prefill_mma_kv16w32_bf16_d128", AttentionCuda.mmaKernel(s, 232448, AttentionCuda.PrefillMode.KV16W32, 0, false));
        assertEquals("attention_prefill_mma_kv16_bf16_d128", AttentionCuda.mmaKernel(s, 232448, AttentionCuda.PrefillMode.KV16W32, 0, true));
        assertEquals("attention_prefill_mma_kv16nm_bf16_d128", AttentionCuda.mmaKernel(s, 232448, AttentionCuda.PrefillMode.KV16NM, 0, false));
        assertEquals("attention_prefill_mma_kv16_bf16_d128", AttentionCuda.mmaKernel(s, 232448, AttentionCuda.PrefillMode.KV16NM, 0, true));
        assertEquals("attention_prefill_mma_kv16_bf16_d128", AttentionCuda.mmaKernel(s, 232448, AttentionCuda.PrefillMode.KV16, 0, false));
    }

    /** AUTO: kv16w32 at head dim 128 and kv16nm at 64 without mask or bias; kv16 with either; kv16nm where kv16w32's shared memory does not fit. */
    @Test
    void autoPicksThePrefillKernelByShape() {
        AttentionSpec d128 = new AttentionSpec(2, 300, 8, 2, 128, 0.125f, true, -1).withCompute(DType.BF16);
        AttentionSpec d64 = new AttentionSpec(2, 300, 8, 2, 64, 0.125f, true, -1).withCompute(DType.F16);
        AttentionCuda.PrefillMode auto = AttentionCuda.PrefillMode.AUTO;
        assertEquals("attention_prefill_mma_kv16w32_bf16_d128", AttentionCuda.mmaKernel(d128, 232448, auto, 0, false));
        assertEquals("attention_prefill_mma_kv16_bf16_d128", AttentionCuda.mmaKernel(d128, 232448, auto, 0, true));
        assertEquals("attention_prefill_mma_kv16nm_f16_d64", AttentionCuda.mmaKernel(d64, 232448, auto, 0, false));
        assertEquals("attention_prefill_mma_kv16_f16_d64", AttentionCuda.mmaKernel(d64, 232448, auto, 0, true));
        int noRoomForQ = AttentionCuda.mmaKv16W32SharedBytes(128) - 1;
        assertTrue(AttentionCuda.mmaSharedBytes(128) <= noRoomForQ);
        assertEquals("attention_prefill_mma_kv16nm_bf16_d128", AttentionCuda.mmaKernel(d128, noRoomForQ, auto, 0, false));
        assertEquals("attention_prefill_mma_bf16_d128", AttentionCuda.mmaKernel(d128, 232448, AttentionCuda.PrefillMode.STAGED, 0, false));
        assertEquals(null, AttentionCuda.mmaKernel(d128, 232448, AttentionCuda.PrefillMode.F32, 0, false));
    }

    /**
     * strata.cuda.fusedKvAppend=on (auto: up to batch 8): a decode step launches attention_decode_append_f32 alone, with
     * the step's k and v after q and otherwise the unfused kernel's arguments (matching the PTX);
     * prefill keeps kv_append_f32, since its keys come from the cache rows it wrote.
     */
    @Test
    void fusedKvAppendDropsTheAppendLaunchOfADecodeStep() throws Exception {
        assertEquals(AttentionCuda.AUTO_APPEND_MAX_BATCH, AttentionCuda.FUSED_KV_APPEND_MAX_BATCH, "default auto");
        assertEquals(8, AttentionCuda.AUTO_APPEND_MAX_BATCH);
        assertEquals(Integer.MAX_VALUE, AttentionCuda.fusedKvAppendMaxBatch(" on "));
        assertEquals(0, AttentionCuda.fusedKvAppendMaxBatch("off"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AttentionCuda.fusedKvAppendMaxBatch("yes"));
        assertTrue(e.getMessage().contains("expected off, on or auto"), e.getMessage());
        try (LoadedModel m = LoadedModel.open(fixture("llama-gqa"))) {
            for (int seq : new int[] {1, 5}) {
                Graph g = m.definition().build(m, 2, seq, ForwardOptions.GENERATE);
                FakeContext ctx = new FakeContext(g, true, new KvSpec(3, 2, 64, 2, 8));
                for (Node n : g.nodes()) {
                    if (!(n.op() instanceof Attention a)) continue;
                    List<Launch.Kernel> fused = AttentionCuda.plan(a, ctx, ctx.tensor(n.out()), AttentionCuda.PrefillMode.AUTO, true).stream()
                            .map(l -> (Launch.Kernel) l).toList();
                    List<Launch.Kernel> plain = AttentionCuda.plan(a, ctx, ctx.tensor(n.out()), AttentionCuda.PrefillMode.AUTO, false).stream()
                            .map(l -> (Launch.Kernel) l).toList();
                    if (seq > 1) {
                        assertEquals(plain.stream().map(Launch.Kernel::function).toList(), fused.stream().map(Launch.Kernel::function).toList());
                        continue;
                    }
                    assertEquals(List.of("attention_decode_append_f32"), fused.stream().map(Launch.Kernel::function).toList());
                    Launch.Kernel f = fused.getFirst(), p = plain.get(1), append = plain.getFirst();
                    assertEquals(p.args().subList(0, 2), f.args().subList(0, 2), "q");
                    assertEquals(List.of(append.args().get(0), append.args().get(1), append.args().get(2), append.args().get(3)), f.args().subList(2, 6),
                            "the step's k and v, as kv_append_f32 took them");
                    assertEquals(p.args().subList(2, p.args().size()), f.args().subList(6, f.args().size()));
                    assertEquals(List.of(p.gridX(), p.gridY(), p.gridZ(), p.block()), List.of(f.gridX(), f.gridY(), f.gridZ(), f.block()));
                    if (signatures != null) checkKernel(f);
                }
            }
        }
    }

    @Test
    void smallGemvsSplitTheirRowsAcrossWarps() {
        assertEquals(0, MatMulCuda.splitColumns(14336, 132), "1792 blocks fill 132 SMs");
        assertEquals(0, MatMulCuda.splitColumns(128256, 132));
        assertEquals(1, MatMulCuda.splitColumns(512, 132), "k/v projection of a 1B GQA model: one column per block");
        assertEquals(4, MatMulCuda.splitColumns(2048, 132));
        assertEquals(1, MatMulCuda.splitColumns(1, 132));
        assertEquals(2, MatMulCuda.SPLIT_BLOCKS_PER_SM, "default");
        assertEquals(8, MatMulCuda.splitBlocksPerSm(" 8 "));
        for (String bad : new String[] {"0", "9", "two"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MatMulCuda.splitBlocksPerSm(bad));
            assertTrue(e.getMessage().contains("expected an integer from 1 to 8"), e.getMessage());
        }
    }

    @Test
    void gateGemvTakesFourColumnsPerBlockAtOneRow() {
        assertEquals(0, MatMulCuda.GATE_COLS, "default: auto");
        assertEquals(4, MatMulCuda.gateCols(1, MatMulCuda.GATE_COLS), "one row: two warps a column");
        assertEquals(8, MatMulCuda.gateCols(2, MatMulCuda.GATE_COLS));
        assertEquals(8, MatMulCuda.gateCols(8, MatMulCuda.GATE_COLS));
        assertEquals(2, MatMulCuda.gateCols(1, MatMulCuda.gateCols(" 2 ")));
        assertEquals(8, MatMulCuda.gateCols(1, MatMulCuda.gateCols("8")));
        for (String bad : new String[] {"3", "16", "one", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MatMulCuda.gateCols(bad));
            assertTrue(e.getMessage().contains("strata.cuda.gemvGateCols") && e.getMessage().contains("expected auto, 8, 4 or 2"), e.getMessage());
        }
    }

    @Test
    void decodeSplitAndPlainGemvSwitchesParseAndDefault() {
        assertEquals(256, AttentionCuda.KEYS_PER_SPLIT, "default");
        assertEquals(8, MatMulCuda.PLAIN_COLS, "default");
        assertEquals(1, AttentionCuda.splits(129, 1, 8, 256, 132), "strata bench -n 128: one split per KV head");
        assertEquals(5, AttentionCuda.splits(129, 1, 8, 32, 132));
        assertEquals(33, AttentionCuda.splits(4096, 1, 8, 32, 132), "enough blocks for 132 SMs twice, no more");
        assertEquals(1, AttentionCuda.splits(4096, 64, 8, 32, 132), "a large batch fills the GPU without splits");
        assertEquals(17, AttentionCuda.splits(4096, 1, 8, 32, 66), "twice the multiprocessors the device reports, not an H100's");
        assertEquals(32, AttentionCuda.keysPerSplit(" 32 "));
        assertEquals(4, MatMulCuda.plainCols("4"));
        for (String bad : new String[] {"8", "8192", "x"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AttentionCuda.keysPerSplit(bad));
            assertTrue(e.getMessage().contains("strata.cuda.decodeKeysPerSplit") && e.getMessage().contains("from 16 to 4096"), e.getMessage());
        }
        for (String bad : new String[] {"1", "16", "auto"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MatMulCuda.plainCols(bad));
            assertTrue(e.getMessage().contains("strata.cuda.gemvCols") && e.getMessage().contains("expected 8, 4 or 2"), e.getMessage());
        }
    }

    /** The 1B shape's gate/up GEMV (n 8192, k 2048): 2,048 blocks of 4 columns at one row, 1,024 of 8 at 8 rows. */
    @ParameterizedTest(name = "rows {0}")
    @CsvSource({"1,gemv_fused_gate_m1_bf16,2048,4", "8,gemv_fused_gate_bf16,1024,8"})
    void gateGemvLaunchesFourColumnBlocksAtOneRow(int rows, String kernel, int grid, int cols) {
        int n = 8192, k = 2048;
        WeightCatalog catalog = name -> name.endsWith(".weight") ? new WeightCatalog.Entry(name, DType.BF16, new long[] {n, k}) : null;
        GraphBuilder b = new GraphBuilder(catalog);
        b.output("h", b.matmul(new MatMul(b.input("x", DType.F32, rows, k), b.weight("gate.weight", n, k), null, WeightLayout.OUT_IN, null,
                new MatMul.Gate(b.weight("up.weight", n, k), null, Activation.SILU), null, null, null), "h"));
        Graph g = b.build();
        FakeContext ctx = new FakeContext(g, true, new KvSpec(1, 1, 1, 1, 1));
        Launch.Kernel launch = (Launch.Kernel) planAll(g, ctx).getFirst();
        assertEquals(kernel, launch.function());
        assertEquals(grid, launch.gridX());
        // arguments: x, xStride, w, wStride, bias, up, upBias, g, eps, residual, resStride, out, outStride, m, n, k, cols, ...
        assertEquals(List.of(rows, n, k, cols), launch.args().subList(13, 17));
        checkKernel(launch);
    }

    @Test
    void decodeAttentionIsSplitByCapacityNotLength() throws Exception {
        try (LoadedModel m = LoadedModel.open(fixture("llama-gqa"))) {
            Graph g = m.definition().build(m, 1, 1, ForwardOptions.GENERATE);
            KvSpec kv = new KvSpec(3, 1, 4096, 2, 8);
            FakeContext ctx = new FakeContext(g, true, kv);
            for (Node n : g.nodes()) {
                if (!(n.op() instanceof Attention a)) continue;
                List<Launch> plan = CudaLaunchPlans.plan(a, ctx, ctx.tensor(n.out()));
                assertEquals(1 <= AttentionCuda.FUSED_KV_APPEND_MAX_BATCH ? List.of("attention_decode_append_f32") : List.of("kv_append_f32", "attention_decode_f32"),
                        plan.stream().map(l -> ((Launch.Kernel) l).function()).toList(), "the decode kernel merges its splits itself");
                plan = List.of(plan.getLast());
                Launch.Kernel decode = (Launch.Kernel) plan.getFirst();
                assertEquals(AttentionCuda.splits(4096, 1, 2, AttentionCuda.KEYS_PER_SPLIT, ctx.multiprocessors()), decode.gridX());
                assertTrue(decode.gridX() > 1, "a long cache at batch 1 must be split across blocks");
                assertEquals(AttentionCuda.DECODE_THREADS, decode.block());
                long partial = (long) decode.gridX() * 8 * (8 + 2) * Float.BYTES;
                assertTrue(ctx.scratch.get("attention_partial") >= partial);
                assertTrue(ctx.scratch.get("attention_split_counters") >= 2 * Integer.BYTES, "one counter per (sequence, KV head)");
            }
        }
    }
}
