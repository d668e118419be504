// External tensors (another graph's device-resident output, e.g. the encoder's cross-attention
// K/V): a run without a binding fails naming the tensor, a binding of the wrong shape is refused,
// and a bound graph reads the other executor's memory in place.
package dev.strata.engine.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.backend.BufferView;
import dev.strata.engine.cpu.CpuDevice;
import dev.strata.engine.graph.Graph;
import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExternalTensorTest {
    /** kv[2, 3] = 2·x. */
    static Graph producer() {
        GraphBuilder pb = new GraphBuilder(name -> null);
        pb.output("kv", pb.scale(pb.input("x", DType.F32, 2, 3), 2f, "kv"));
        return pb.build();
    }

    /** y[2, 3] = kv + one, kv external (another executor's output). */
    static Graph consumer() {
        GraphBuilder cb = new GraphBuilder(name -> null);
        cb.output("y", cb.add(cb.external("kv", DType.F32, 2, 3), cb.input("one", DType.F32, 1, 3), "y"));
        return cb.build();
    }

    @Test
    void boundExternalReadsTheProducersOutput() {
        Graph producer = producer(), consumer = consumer();
        Tensor ext = consumer.externals().get("kv");
        assertEquals(Map.of("kv", ext), consumer.externals());
        assertEquals(List.of(DType.F32, 2, 3), List.of(ext.dtype(), ext.rows(), ext.cols()));
        try (CpuDevice dev = new CpuDevice(true, 1); DeviceWeights w = new DeviceWeights(dev, name -> null);
             GraphExecutor p = new GraphExecutor(producer, w); GraphExecutor c = new GraphExecutor(consumer, w); Arena arena = Arena.ofConfined()) {
            HostTensor x = HostTensor.allocate(arena, DType.F32, 2, 3), one = HostTensor.allocate(arena, DType.F32, 1, 3);
            for (int i = 0; i < 6; i++) x.data().setAtIndex(HostTensor.F32, i, i);
            for (int i = 0; i < 3; i++) one.data().setAtIndex(HostTensor.F32, i, 1);
            IllegalStateException unbound = assertThrows(IllegalStateException.class, () -> c.run(Map.of("one", one), null));
            assertTrue(unbound.getMessage().contains("external 'kv' is not bound"), unbound.getMessage());
            BufferView kv = p.view(producer.output("kv"));
            BufferView transposed = new BufferView(kv.buffer(), kv.offset(), 3, 2, 2, DType.F32);
            IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class, () -> c.bind("kv", transposed));
            assertEquals("external 'kv' bound to F32[3, 2]; expected F32[2, 3]", wrong.getMessage());
            p.run(Map.of("x", x), null);
            c.bind("kv", kv);
            c.run(Map.of("one", one), null);
            HostTensor y = c.read("y", arena);
            for (int i = 0; i < 6; i++) assertEquals(2 * i + 1, y.getDouble(i), 0);
        }
    }
}
