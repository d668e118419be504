// The encoder-decoder data path, observed at the device interface: over a whole greedy request the
// cross-attention K/V projections run exactly once per decoder layer (in the encoder run), the
// decoder graphs contain no projection of the encoder output (they read the encoder executor's
// memory as external tensors), and the only device→host transfers are one read per step of the
// tokens the device's argmax chose (4 bytes per sequence, not a row of logits).
// Also: a second request on the same engine rebinds nothing (same shape bucket, same memory) and
// reproduces the first request's ids, and decode() over the encoded sources runs no encoder work.
package dev.strata.tests.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strata.engine.backend.Bindings;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.backend.DeviceBuffer;
import dev.strata.engine.backend.Support;
import dev.strata.engine.cpu.CpuDevice;
import dev.strata.engine.graph.Graph;
import dev.strata.engine.graph.Node;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.kv.KvStorage;
import dev.strata.engine.model.ForwardOptions;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.ops.MatMul;
import dev.strata.engine.ops.Op;
import dev.strata.engine.runtime.Seq2SeqEngine;
import dev.strata.engine.runtime.Seq2SeqGenerator;
import dev.strata.engine.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Seq2SeqCrossKvTest {
    /** Delegates to the CPU device, recording matmul weight names and device→host reads. */
    static final class CountingDevice implements ComputeDevice {
        final CpuDevice cpu = new CpuDevice(false, 2);
        final List<String> matmulWeights = new ArrayList<>();
        final List<Long> reads = new ArrayList<>();

        public String description() { return "counting " + cpu.description(); }
        public Support supports(Op op) { return cpu.supports(op); }
        public DeviceBuffer allocate(long bytes, String purpose) { return cpu.allocate(bytes, purpose); }
        public DeviceBuffer uploadWeight(String name, DType dtype, MemorySegment host) { return cpu.uploadWeight(name, dtype, host); }
        public void write(DeviceBuffer dst, long off, MemorySegment src) { cpu.write(dst, off, src); }
        public void read(DeviceBuffer src, long off, MemorySegment dst) {
            reads.add(dst.byteSize());
            cpu.read(src, off, dst);
        }
        public void copy(DeviceBuffer src, long srcOff, DeviceBuffer dst, long dstOff, long bytes) { cpu.copy(src, srcOff, dst, dstOff, bytes); }
        public void launch(Op op, Bindings b) {
            if (op instanceof MatMul mm && mm.w().kind() == Tensor.Kind.WEIGHT) matmulWeights.add(mm.w().source());
            cpu.launch(op, b);
        }
        public void synchronize() { cpu.synchronize(); }
        public KvStorage allocateKv(KvSpec spec) { return cpu.allocateKv(spec); }
        public void close() { cpu.close(); }
    }

    static Path fixture(String name) {
        Path p = Path.of(System.getProperty("strata.fixtures", "../../shared/fixtures"), name);
        assumeTrue(Files.isDirectory(p), "fixture " + name + " not found");
        return p;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"t5,EncDecAttention\\.[kv]\\.weight", "marian,encoder_attn\\.[kv]_proj\\.weight"})
    void crossKvIsComputedOncePerRequestAndStaysOnTheDevice(String model, String crossWeights) throws Exception {
        Pattern cross = Pattern.compile(".*" + crossWeights);
        int steps = 7;
        try (LoadedModel m = LoadedModel.open(fixture(model)); CountingDevice dev = new CountingDevice();
             Seq2SeqEngine engine = new Seq2SeqEngine(m, dev, 2, 16)) {
            int layers = m.encoderDecoder().encoderDecoder().decoderLayers();
            Graph dec = m.encoderDecoder().buildDecoder(m, 2, 5, 1, 16, ForwardOptions.GENERATE);
            assertEquals(2 * layers, dec.externals().size(), "decoder externals " + dec.externals().keySet());
            for (Node n : dec.nodes()) {
                if (n.op() instanceof MatMul mm) assertTrue(!cross.matcher(String.valueOf(mm.w().source())).matches(), "decoder graph projects " + mm.w().source());
            }
            List<int[]> sources = List.of(new int[] {5, 6, 7, 8, 9}, new int[] {10, 11, 12});
            Seq2SeqGenerator gen = new Seq2SeqGenerator(engine);
            int[][] first = gen.generate(sources, steps, false).ids();
            long crossRuns = dev.matmulWeights.stream().filter(w -> cross.matcher(w).matches()).count();
            assertEquals(2L * layers, crossRuns, "cross K and V projections per request: once per decoder layer");
            assertEquals(steps, dev.reads.size(), "device→host reads per request: one next-token read per step");
            for (long bytes : dev.reads) assertEquals(2L * Integer.BYTES, bytes, "each read is one step's two token ids");
            dev.matmulWeights.clear();
            dev.reads.clear();
            assertArrayEquals(first, gen.generate(sources, steps, false).ids(), "a second request reproduces the first");
            assertEquals(2L * layers, dev.matmulWeights.stream().filter(w -> cross.matcher(w).matches()).count());
            dev.matmulWeights.clear();
            assertArrayEquals(first, gen.decode(steps, false, false).ids(), "decoding again over the encoded sources");
            assertEquals(0, dev.matmulWeights.stream().filter(w -> cross.matcher(w).matches()).count(), "decode() reuses the encoder output");
        }
    }
}
