// JMH: CPU matmul out[m, n] = x[m, k] · W, fast (Vector API) vs the pre-rewrite scalar baseline.
// The first calls run interpreted (Vector API code is very slow there), hence 5 warmup seconds
// (the 128-row F32 prefill took 3 to settle on a loaded 2-core machine).
// Shapes are "m x k x n": decode GEMVs (m = 1) are bound by streaming W; the 128-row prefill
// is compute bound. GFLOP/s = 2·m·k·n / time; weight GB/s = k·n·bytes(dtype) / time.
package dev.strata.bench;

import dev.strata.engine.cpu.CpuParallel;
import dev.strata.engine.cpu.Mat;
import dev.strata.engine.cpu.kernels.MatMulCpu;
import dev.strata.engine.ops.WeightLayout;
import dev.strata.engine.tensor.DType;
import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MatMulBench {
    @Param({"1x768x768", "1x2048x768", "1x768x32000", "128x768x768"})
    public String shape;

    @Param({"F32", "BF16"})
    public String dtype;

    @Param({"OUT_IN"})
    public String layout;

    private Arena arena;
    private CpuParallel par;
    private Mat x, w, out;
    private WeightLayout wl;

    @Setup(Level.Trial)
    public void setup() {
        String[] d = shape.split("x");
        int m = Integer.parseInt(d[0]), k = Integer.parseInt(d[1]), n = Integer.parseInt(d[2]);
        wl = WeightLayout.valueOf(layout);
        arena = Arena.ofShared();
        par = new CpuParallel(0);
        x = BenchData.random(arena, m, k, DType.F32, 1);
        w = wl == WeightLayout.OUT_IN ? BenchData.random(arena, n, k, DType.valueOf(dtype), 2)
                : BenchData.random(arena, k, n, DType.valueOf(dtype), 2);
        out = BenchData.zeros(arena, m, n);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        par.close();
        arena.close();
    }

    @Benchmark
    public Mat fast() {
        MatMulCpu.fast(x, w, null, wl, out, par);
        return out;
    }

    @Benchmark
    public Mat baseline() {
        NaiveKernels.matmul(x, w, null, wl, out, par);
        return out;
    }
}
