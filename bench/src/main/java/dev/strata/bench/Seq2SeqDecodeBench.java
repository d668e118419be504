// Encoder-decoder greedy decoding, µs per step: the synchronous loop (engine.step with the host's
// tokens, then a read of the step's argmax: the host waits for every step before it prepares the
// next) against Seq2SeqGenerator's pipelined loop (step k + 1 enqueued with step k's argmax fed on
// the device, TokenFeed), alternating in one run, median of the repetitions. Both produce the same
// ids (Seq2SeqPipelinedTest).
// Usage: Seq2SeqDecodeBench MODEL_DIR [--backend B] [--steps N] [--reps R]
// (a T5 or Marian checkpoint: safetensors + config.json; two sources of 5 and 3 tokens).
package dev.strata.bench;

import dev.strata.engine.backend.BackendOptions;
import dev.strata.engine.backend.Backends;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.model.ForwardOptions;
import dev.strata.engine.model.LoadedModel;
import dev.strata.engine.runtime.Seq2SeqEngine;
import dev.strata.engine.runtime.Seq2SeqGenerator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

public final class Seq2SeqDecodeBench {
    private Seq2SeqDecodeBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) throw new IllegalArgumentException("usage: Seq2SeqDecodeBench MODEL_DIR [--backend B] [--steps N] [--reps R]");
        String backend = "cpu";
        int steps = 100, reps = 7;
        for (int i = 1; i < args.length; i += 2) {
            if (i + 1 >= args.length) throw new IllegalArgumentException("option " + args[i] + " needs a value");
            switch (args[i]) {
                case "--backend" -> backend = args[i + 1];
                case "--steps" -> steps = Integer.parseInt(args[i + 1]);
                case "--reps" -> reps = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; expected --backend, --steps or --reps");
            }
        }
        if (steps < 1 || reps < 1) throw new IllegalArgumentException("--steps and --reps must be >= 1");
        try (LoadedModel m = LoadedModel.open(Path.of(args[0])); ComputeDevice d = Backends.select(backend).open(BackendOptions.defaults());
             Seq2SeqEngine engine = new Seq2SeqEngine(m, d, 2, steps + 1); Arena arena = Arena.ofConfined()) {
            Seq2SeqGenerator gen = new Seq2SeqGenerator(engine);
            gen.generate(List.of(new int[] {5, 6, 7, 8, 9}, new int[] {10, 11, 12}), steps, false);  // warm-up, and the sources
            MemorySegment buf = arena.allocate(2L * Integer.BYTES, 64);
            double[] sync = new double[reps], piped = new double[reps];
            for (int rep = 0; rep < reps; rep++) {
                long t0 = System.nanoTime();
                engine.restartDecoder();
                int start = engine.config().decoderStartTokenId();
                int[] feed = {start, start};
                for (int k = 0; k < steps; k++) {
                    engine.step(feed, 1, ForwardOptions.ARGMAX).readInto("next_token", buf);
                    feed = buf.toArray(ValueLayout.JAVA_INT);
                }
                long t1 = System.nanoTime();
                gen.decode(steps, false, false);
                long t2 = System.nanoTime();
                sync[rep] = (t1 - t0) / 1e3 / steps;
                piped[rep] = (t2 - t1) / 1e3 / steps;
            }
            Arrays.sort(sync);
            Arrays.sort(piped);
            System.out.printf("%s on %s, batch 2, %d steps, median of %d: synchronous %.1f µs/step, pipelined %.1f µs/step (%.2fx)%n",
                    m.encoderDecoder().encoderDecoder().modelType(), d.description(), steps, reps, sync[reps / 2], piped[reps / 2],
                    sync[reps / 2] / piped[reps / 2]);
        }
    }
}
