// Inputs fed from device memory (GraphExecutor.run's fed views) and TokenFeed's ring, with every
// view at a non-zero element offset, so an element offset taken for a byte offset (or the other
// way round) reads the wrong ids: the fed ids select the expected embedding rows, and the drawn
// token TokenFeed keeps and reads back is the executor's own next_token.
package dev.strata.engine.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.backend.BufferView;
import dev.strata.engine.backend.DeviceBuffer;
import dev.strata.engine.cpu.CpuDevice;
import dev.strata.engine.graph.Graph;
import dev.strata.engine.graph.GraphBuilder;
import dev.strata.engine.runtime.TokenFeed;
import dev.strata.engine.tensor.DType;
import dev.strata.engine.tensor.HostTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FedInputTest {
    @Test
    void fedIdsAtAnElementOffsetSelectTheirRows() {
        float[] table = new float[5 * 2];
        for (int i = 0; i < table.length; i++) table[i] = i;
        GraphBuilder b = new GraphBuilder(name -> null);
        b.output("rows", b.embedding(b.constant("table", 5, 2, table), b.input("ids", DType.I32, 2, 1), "rows"));
        Graph g = b.build();
        try (CpuDevice dev = new CpuDevice(true, 1); DeviceWeights w = new DeviceWeights(dev, name -> null);
             GraphExecutor ex = new GraphExecutor(g, w); Arena arena = Arena.ofConfined();
             DeviceBuffer ids = dev.allocate(64, "ids")) {
            dev.write(ids, 0, arena.allocateFrom(ValueLayout.JAVA_INT, 4, 4, 4, 3, 1, 4, 4, 4));
            ex.run(Map.of(), null, Map.of("ids", new BufferView(ids, 3, 2, 1, 1, DType.I32)));  // elements 3 and 4: ids 3, 1
            HostTensor rows = ex.read("rows", arena);
            assertArrayEquals(new float[] {6, 7, 2, 3}, rows.data().toArray(ValueLayout.JAVA_FLOAT));
        }
    }

    @Test
    void tokenFeedKeepsTheExecutorsDrawnTokens() {
        GraphBuilder b = new GraphBuilder(name -> null);
        b.output("next_token", b.argmax(b.input("logits", DType.F32, 1, 8), "next_token"));
        Graph g = b.build();
        try (CpuDevice dev = new CpuDevice(true, 1); DeviceWeights w = new DeviceWeights(dev, name -> null);
             GraphExecutor ex = new GraphExecutor(g, w); Arena arena = Arena.ofConfined(); TokenFeed feed = new TokenFeed(dev, 1, 3)) {
            assertTrue(ex.outputView("next_token").offset() > 0, "the output sits past the logits input");
            for (int step = 0; step < 3; step++) {
                HostTensor logits = HostTensor.allocate(arena, DType.F32, 1, 8);
                logits.data().setAtIndex(HostTensor.F32, 5 - step, 1f);
                ex.run(Map.of("logits", logits), null);
                feed.keep(ex, step);
                assertArrayEquals(new int[] {5 - step}, feed.await(step));
            }
            MemorySegment kept = arena.allocate(4);
            BufferView second = feed.tokens(1);
            dev.read(second.buffer(), second.byteOffset(), kept);
            assertEquals(4, kept.get(ValueLayout.JAVA_INT, 0), "ring row 1 holds step 1's token");
        }
    }
}
