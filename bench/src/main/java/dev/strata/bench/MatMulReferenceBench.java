// JMH: the single-threaded double-accumulation reference matmul, on a decode shape only (it is
// too slow for the large ones); compare with MatMulBench's fast/baseline at 1x768x768.
package dev.strata.bench;

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
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MatMulReferenceBench {
    @Param({"F32", "BF16"})
    public String dtype;

    private Arena arena;
    private Mat x, w, out;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        x = BenchData.random(arena, 1, 768, DType.F32, 1);
        w = BenchData.random(arena, 768, 768, DType.valueOf(dtype), 2);
        out = BenchData.zeros(arena, 1, 768);
    }

    @TearDown(Level.Trial)
    public void tearDown() { arena.close(); }

    @Benchmark
    public Mat reference() {
        MatMulCpu.reference(x, w, null, WeightLayout.OUT_IN, out);
        return out;
    }
}
