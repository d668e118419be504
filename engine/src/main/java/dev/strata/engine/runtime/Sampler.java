// Picks the next token from a row of logits on the host, by the Sample op's algorithm
// (SampleCpu): greedy at temperature 0, else temperature, top-k, top-p and min-p cuts and a
// Gumbel-max draw whose noise is hashed from (seed, draw number), so a run repeats exactly and
// matches what the device op draws for the same seed and step. Generator samples on the device;
// this is for callers that hold logits on the host.
package dev.strata.engine.runtime;

import dev.strata.engine.cpu.kernels.ElementwiseCpu;
import dev.strata.engine.cpu.kernels.SampleCpu;
import dev.strata.engine.ops.Sample;

public final class Sampler {
    private final SamplingParams params;
    private final int[] packed = new int[Sample.PARAMS];
    private int step;

    public Sampler(SamplingParams params) { this.params = params; }

    public static int argmax(float[] logits) { return ElementwiseCpu.argmax(logits); }

    /** The next draw: step 0, 1, 2... of this sampler's seed. */
    public int sample(float[] logits) {
        params.pack(step++, packed, 0);
        return SampleCpu.sample(logits, packed);
    }
}
