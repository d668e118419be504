// The ONNX Runtime anchor for `strata bench embed`: the same all-MiniLM-L6-v2 ONNX file (from the
// Maven artifact), the same batches — `batch` texts of exactly `seq` tokens drawn as
// EmbedBenchCommand draws them (SplittableRandom(1), ids in [1000, vocab), [CLS] … [SEP]) — through
// an OrtSession with default options (all graph optimisations, one intra-op thread per core),
// plus the same mean pooling and L2 normalisation in Java. Prints `tokens_per_second: X` last.
// Usage: OrtEmbedBench [batch] [seq] [repetitions]
package dev.strata.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.strata.loader.onnx.BundledModels;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

public final class OrtEmbedBench {
    static final int VOCAB = 30522, CLS = 101, SEP = 102, FIRST_WORD_ID = 1000;

    public static void main(String[] args) throws Exception {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int seq = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        SplittableRandom rnd = new SplittableRandom(1);
        long[] ids = new long[batch * seq], mask = new long[batch * seq], types = new long[batch * seq];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < seq; i++) ids[b * seq + i] = rnd.nextInt(FIRST_WORD_ID, VOCAB);
            ids[b * seq] = CLS;
            ids[b * seq + seq - 1] = SEP;
        }
        Arrays.fill(mask, 1);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        String model = BundledModels.allMiniLmL6V2().resolve(BundledModels.MODEL_FILE).toString();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions(); OrtSession session = env.createSession(model, opts)) {
            for (int w = 0; w < 2; w++) run(env, session, ids, mask, types, batch, seq);
            double[] tps = new double[reps];
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                run(env, session, ids, mask, types, batch, seq);
                tps[r] = (double) batch * seq / ((System.nanoTime() - t0) / 1e9);
            }
            double mean = 0, var = 0;
            for (double v : tps) mean += v / reps;
            for (double v : tps) var += (v - mean) * (v - mean) / Math.max(1, reps - 1);
            System.out.printf(Locale.ROOT, "onnxruntime %s (default session options), batch %d × seq %d, %d repetitions%n",
                    OrtEnvironment.getEnvironment().getVersion(), batch, seq, reps);
            System.out.printf(Locale.ROOT, "embed %.0f ± %.0f tokens/s (%.1f ms per batch)%n", mean, Math.sqrt(var), batch * seq / mean * 1e3);
            System.out.printf(Locale.ROOT, "tokens_per_second: %.0f%n", mean);
        }
    }

    /** One forward pass, then mean pooling + L2 normalisation of every row (all tokens are real). */
    private static float[][] run(OrtEnvironment env, OrtSession s, long[] ids, long[] mask, long[] types, int batch, int seq) throws Exception {
        long[] shape = {batch, seq};
        try (OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
             OnnxTensor m = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
             OnnxTensor t = OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape);
             OrtSession.Result r = s.run(Map.of("input_ids", a, "attention_mask", m, "token_type_ids", t))) {
            float[][][] hidden = (float[][][]) r.get("last_hidden_state").orElseThrow().getValue();
            float[][] out = new float[batch][];
            for (int b = 0; b < batch; b++) {
                int dim = hidden[b][0].length;
                double[] acc = new double[dim];
                for (float[] row : hidden[b]) for (int c = 0; c < dim; c++) acc[c] += row[c];
                double norm = 0;
                for (double v : acc) norm += v * v;
                norm = Math.max(Math.sqrt(norm), 1e-12);
                out[b] = new float[dim];
                for (int c = 0; c < dim; c++) out[b][c] = (float) (acc[c] / norm);
            }
            return out;
        }
    }
}
