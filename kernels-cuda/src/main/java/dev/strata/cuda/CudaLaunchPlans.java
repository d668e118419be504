// The launch plan of every op on CUDA: an exhaustive switch over the closed op set.
package dev.strata.cuda;

import dev.strata.engine.ops.*;
import java.util.List;

final class CudaLaunchPlans {
    private CudaLaunchPlans() {}

    static List<Launch> plan(Op op, PlanContext c, DevTensor out) {
        return switch (op) {
            case Embedding e -> ElementwiseCuda.embedding(e, c, out);
            case MatMul mm -> MatMulCuda.plan(mm, c, out);
            case RmsNorm n -> ElementwiseCuda.rmsNorm(n, c, out);
            case LayerNorm n -> ElementwiseCuda.layerNorm(n, c, out);
            case Rope r -> ElementwiseCuda.rope(r, c, out);
            case Attention a -> AttentionCuda.plan(a, c, out);
            case Softmax s -> ElementwiseCuda.softmax(s, c, out);
            case Activate a -> ElementwiseCuda.activate(a, c, out);
            case GatedActivate g -> ElementwiseCuda.gated(g, c, out);
            case Add a -> ElementwiseCuda.add(a, c, out);
            case Scale s -> ElementwiseCuda.scale(s, c, out);
            case Argmax a -> ElementwiseCuda.argmax(a, c, out);
            case Sample s -> ElementwiseCuda.sample(s, c, out);
        };
    }
}
