// JMH: CPU fused attention with a KV cache, 12 query heads over 4 KV heads (GQA), head dim 64.
// Cases: decode (1 query) over 512 or 2048 cached tokens, and a 128-token causal prefill.
// Each call appends the step's K/V at the same position, so the cache length stays fixed.
package dev.strata.bench;

import dev.strata.engine.cpu.CpuDevice;
import dev.strata.engine.cpu.CpuKvStorage;
import dev.strata.engine.cpu.CpuParallel;
import dev.strata.engine.cpu.Mat;
import dev.strata.engine.cpu.kernels.AttentionCpu;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.ops.AttentionSpec;
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
public class AttentionBench {
    private static final int HEADS = 12, KV_HEADS = 4, HEAD_DIM = 64;

    @Param({"decode512", "decode2048", "prefill128"})
    public String phase;

    private Arena arena;
    private CpuParallel par;
    private CpuKvStorage kv;
    private AttentionSpec spec;
    private Mat q, k, v, past, slots, out;

    @Setup(Level.Trial)
    public void setup() {
        int seq = phase.startsWith("prefill") ? Integer.parseInt(phase.substring(7)) : 1;
        int pastLen = phase.startsWith("decode") ? Integer.parseInt(phase.substring(6)) : 0;
        arena = Arena.ofShared();
        par = new CpuParallel(0);
        try (CpuDevice dev = new CpuDevice(true, 1)) {
            kv = (CpuKvStorage) dev.allocateKv(new KvSpec(1, 1, pastLen + seq, KV_HEADS, HEAD_DIM));
        }
        spec = new AttentionSpec(1, seq, HEADS, KV_HEADS, HEAD_DIM, (float) (1 / Math.sqrt(HEAD_DIM)), true, 0);
        Mat prefix = BenchData.random(arena, pastLen + seq, KV_HEADS * HEAD_DIM, DType.F32, 3);
        kv.keys(0).copyFrom(prefix.seg());
        kv.values(0).copyFrom(BenchData.random(arena, pastLen + seq, KV_HEADS * HEAD_DIM, DType.F32, 4).seg());
        q = BenchData.random(arena, seq, HEADS * HEAD_DIM, DType.F32, 5);
        k = BenchData.random(arena, seq, KV_HEADS * HEAD_DIM, DType.F32, 6);
        v = BenchData.random(arena, seq, KV_HEADS * HEAD_DIM, DType.F32, 7);
        past = BenchData.ints(arena, 1, pastLen);
        slots = BenchData.ints(arena, 1, 0);
        out = BenchData.zeros(arena, seq, HEADS * HEAD_DIM);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kv.close();
        par.close();
        arena.close();
    }

    @Benchmark
    public Mat fast() {
        AttentionCpu.fast(q, k, v, past, slots, null, spec, kv, out, par);
        return out;
    }

    @Benchmark
    public Mat baseline() {
        NaiveKernels.attend(q, k, v, past, slots, null, spec, kv, out, par);
        return out;
    }

    @Benchmark
    public Mat reference() {
        AttentionCpu.reference(q, k, v, past, slots, null, spec, kv, out);
        return out;
    }
}
