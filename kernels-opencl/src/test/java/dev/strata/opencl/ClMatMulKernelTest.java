// The OpenCL matmul kernels at the edges a graph cannot reach: tensors placed at chosen element
// offsets and padded strides (odd W offsets defeat the GEMV's 4-wide loads), F32/F16/BF16 weights
// and biases in both layouts, every GEMV row count 1..8 with k around multiples of 4 and of the
// x chunk (256), and GEMM shapes on both sides of the 64×64 tile and 16-deep K tile. The
// reference is a double dot product over the weights as stored, each element held to a bound
// relative to its sum of absolute terms (a cancelling sum of one column has no useful relative
// error); every output element outside the [m, n] window (padding between rows, before and
// after) must keep its sentinel.
package dev.strata.opencl;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strata.engine.backend.BackendOptions;
import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.graph.WeightCatalog;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.ops.MatMul;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.engine.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ClMatMulKernelTest {
    /**
     * Per element, |out - reference| ≤ LIMIT · (|bias| + Σ|x·w|): float accumulation over k ≤ 516
     * terms stays far below it (the worst-case bound is about k · 2^-24 ≈ 3e-5), while one
     * missing, doubled or misplaced term of a row exceeds it.
     */
    private static final double LIMIT = 1e-5;
    private static final float SENTINEL = -12345.5f;
    private static final DType[] DTYPES = {DType.F32, DType.F16, DType.BF16};
    /** (W element offset, W row padding): aligned, odd offset, aligned with padding, odd both. */
    private static final int[][] PLACEMENTS = {{0, 0}, {1, 3}, {4, 4}, {3, 1}};

    @Test
    void gemvEveryRowCountOddKAndOddOffsets() {
        run(new int[] {1, 2, 3, 4, 5, 6, 7, 8}, new int[] {1, 3, 4, 7, 256, 257, 516}, new int[] {1, 5, 66}, "gemv");
    }

    @Test
    void gemmEdgeTiles() {
        run(new int[] {9, 17, 64, 65, 130}, new int[] {1, 15, 16, 17, 33}, new int[] {1, 63, 64, 65, 129}, "gemm");
    }

    private static void run(int[] ms, int[] ks, int[] ns, String what) {
        OpenClBackend backend = new OpenClBackend();
        assumeTrue(backend.availability().available(), "no OpenCL here: " + backend.availability());
        List<String> failures = new ArrayList<>();
        int cases = 0;
        try (OpenClDevice d = (OpenClDevice) backend.open(BackendOptions.defaults())) {
            for (int m : ms)
                for (int k : ks)
                    for (int n : ns)
                        for (DType dtype : DTYPES)
                            for (WeightLayout layout : WeightLayout.values())
                                for (int[] p : PLACEMENTS) {
                                    String f = one(d, m, k, n, dtype, layout, p[0], p[1], (m + k + n) % 2 == 0);
                                    cases++;
                                    if (f != null) failures.add(f);
                                }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + cases + " " + what + " cases failed, first: " + failures.subList(0, Math.min(5, failures.size())));
    }

    /** One product; returns a failure description or null. */
    private static String one(OpenClDevice d, int m, int k, int n, DType dtype, WeightLayout layout, int wOff, int wPad, boolean withBias) {
        String name = String.format("m=%d k=%d n=%d %s %s wOff=%d wPad=%d bias=%b", m, k, n, dtype, layout, wOff, wPad, withBias);
        SplittableRandom rnd = new SplittableRandom(name.hashCode());
        int wRows = layout == WeightLayout.OUT_IN ? n : k, wCols = layout == WeightLayout.OUT_IN ? k : n, wStride = wCols + wPad;
        int xOff = 5, xStride = k + 3, bOff = 1, oOff = 7, oStride = n + 2;
        int outLen = oOff + m * oStride + 16;
        List<ClBuffer> buffers = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            float[] x = new float[xOff + m * xStride];
            for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
            double[] w = new double[wOff + wRows * wStride];
            MemorySegment wSeg = stored(arena, dtype, w, rnd);
            double[] bias = new double[bOff + n];
            MemorySegment bSeg = stored(arena, dtype, bias, rnd);
            float[] init = new float[outLen];
            java.util.Arrays.fill(init, SENTINEL);

            Map<String, WeightCatalog.Entry> entries = Map.of(
                    "w", new WeightCatalog.Entry("w", dtype, new long[] {wRows, wCols}),
                    "b", new WeightCatalog.Entry("b", dtype, new long[] {n}));
            GraphBuilder g = new GraphBuilder(entries::get);
            Tensor xT = g.input("x", DType.F32, m, k), wT = g.weight("w", wRows, wCols), bT = g.weight("b", 1, n);
            ClBuffer xB = upload(d, buffers, f32(arena, x)), wB = upload(d, buffers, wSeg), bB = upload(d, buffers, bSeg);
            ClBuffer oB = upload(d, buffers, f32(arena, init)), dummy = upload(d, buffers, arena.allocate(256));
            Map<Tensor, ClLaunchPlans.ClTensor> placed = new HashMap<>();
            placed.put(xT, new ClLaunchPlans.ClTensor(xB.mem(), xOff, m, k, xStride, DType.F32));
            placed.put(wT, new ClLaunchPlans.ClTensor(wB.mem(), wOff, wRows, wCols, wStride, dtype));
            placed.put(bT, new ClLaunchPlans.ClTensor(bB.mem(), bOff, 1, n, n, dtype));
            ClLaunchPlans.ClTensor out = new ClLaunchPlans.ClTensor(oB.mem(), oOff, m, n, oStride, DType.F32);
            MatMul mm = new MatMul(xT, wT, withBias ? bT : null, layout);
            d.enqueue(ClLaunchPlans.plan(mm, new Placed(placed, dummy.mem()), out));
            MemorySegment back = arena.allocate(4L * outLen, 64);
            d.read(oB, 0, back);

            for (int i = 0; i < outLen; i++) {
                float got = back.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                int r = (i - oOff) / oStride, c = (i - oOff) % oStride;
                boolean inside = i >= oOff && r < m && c < n;
                if (!inside) {
                    if (Float.floatToRawIntBits(got) != Float.floatToRawIntBits(SENTINEL)) return name + ": element " + i + " outside the output was written (" + got + ")";
                    continue;
                }
                double e = withBias ? bias[bOff + c] : 0, magnitude = Math.abs(e);
                for (int kk = 0; kk < k; kk++) {
                    double wv = layout == WeightLayout.OUT_IN ? w[wOff + c * wStride + kk] : w[wOff + kk * wStride + c];
                    e += x[xOff + r * xStride + kk] * wv;
                    magnitude += Math.abs(x[xOff + r * xStride + kk] * wv);
                }
                if (!(Math.abs(got - e) <= LIMIT * magnitude)) return name + ": row " + r + ", column " + c + " is " + got + "; expected " + e;
            }
            return null;
        } finally {
            buffers.forEach(ClBuffer::close);
        }
    }

    /** Fills values with uniform [-1, 1) rounded to dtype; returns them as stored on the device. */
    private static MemorySegment stored(Arena arena, DType dtype, double[] values, SplittableRandom rnd) {
        MemorySegment seg = arena.allocate(Math.max(4, dtype.bytesFor(values.length)), 64);
        for (int i = 0; i < values.length; i++) {
            float f = (float) (rnd.nextDouble() * 2 - 1);
            switch (dtype) {
                case F32 -> { seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, f); values[i] = f; }
                case F16 -> {
                    short h = Float.floatToFloat16(f);
                    seg.setAtIndex(ValueLayout.JAVA_SHORT, i, h);
                    values[i] = Float.float16ToFloat(h);
                }
                default -> {
                    short b = (short) (Float.floatToRawIntBits(f) >>> 16);
                    seg.setAtIndex(ValueLayout.JAVA_SHORT, i, b);
                    values[i] = Float.intBitsToFloat(b << 16);
                }
            }
        }
        return seg;
    }

    private static MemorySegment f32(Arena arena, float[] v) {
        MemorySegment s = arena.allocate(4L * v.length, 64);
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_FLOAT, 0, v.length);
        return s;
    }

    private static ClBuffer upload(OpenClDevice d, List<ClBuffer> owned, MemorySegment host) {
        ClBuffer b = d.allocate(host.byteSize(), "matmul kernel test");
        owned.add(b);
        d.write(b, 0, host);
        return b;
    }

    /** Tensors at the places the test chose; no scratch or KV cache (a plain product needs neither). */
    private record Placed(Map<Tensor, ClLaunchPlans.ClTensor> tensors, long dummy) implements ClLaunchPlans.Context {
        public ClLaunchPlans.ClTensor tensor(Tensor t) { return tensors.get(t); }

        public long scratch(String purpose, long bytes) { throw new IllegalStateException("a plain product asked for scratch " + purpose); }

        public KvSpec kvSpec() { throw new IllegalStateException("no KV cache"); }

        public long kvKeys(int layer) { throw new IllegalStateException("no KV cache"); }

        public long kvValues(int layer) { throw new IllegalStateException("no KV cache"); }
    }
}
