// cuBLAS's GEMM for the CUDA host emulation: C = op(A)·op(B), column-major as cublasSgemm /
// cublasGemmEx take it (alpha 1, beta 0; A and B F32, BF16 or F16; C F32), accumulated in double.
// Plans keep their cuBLAS steps on the emulated device, so they match a GPU's plans.
package dev.strata.cuda;

import dev.strata.nativelib.Cublas;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

final class HostGemm {
    private HostGemm() {}

    static void run(Launch.Gemm g) {
        int bytes = g.abType() == Cublas.R_32F ? 4 : 2;
        // op(A) is m×k: stored m×k (lda ≥ m) for OP_N, k×m (lda ≥ k) for OP_T; op(B) is k×n likewise
        MemorySegment a = span(g.a(), g.transA() == Cublas.OP_N ? g.m() : g.k(), g.transA() == Cublas.OP_N ? g.k() : g.m(), g.lda(), bytes);
        MemorySegment b = span(g.b(), g.transB() == Cublas.OP_N ? g.k() : g.n(), g.transB() == Cublas.OP_N ? g.n() : g.k(), g.ldb(), bytes);
        MemorySegment c = span(g.c(), g.m(), g.n(), g.ldc(), 4);
        for (int j = 0; j < g.n(); j++) {
            for (int i = 0; i < g.m(); i++) {
                double sum = 0;
                for (int p = 0; p < g.k(); p++) {
                    long ai = g.transA() == Cublas.OP_N ? i + (long) p * g.lda() : p + (long) i * g.lda();
                    long bi = g.transB() == Cublas.OP_N ? p + (long) j * g.ldb() : j + (long) p * g.ldb();
                    sum += (double) element(a, ai, g.abType()) * element(b, bi, g.abType());
                }
                c.setAtIndex(ValueLayout.JAVA_FLOAT, i + (long) j * g.ldc(), (float) sum);
            }
        }
    }

    /** The bytes of a column-major rows×cols matrix with leading dimension ld at address. */
    private static MemorySegment span(long address, int rows, int cols, int ld, int elementBytes) {
        long elements = cols == 0 ? 0 : (long) (cols - 1) * ld + rows;
        return MemorySegment.ofAddress(address).reinterpret(elements * elementBytes);
    }

    private static float element(MemorySegment m, long index, int type) {
        return switch (type) {
            case Cublas.R_32F -> m.getAtIndex(ValueLayout.JAVA_FLOAT, index);
            case Cublas.R_16BF -> Float.intBitsToFloat((m.getAtIndex(ValueLayout.JAVA_SHORT, index) & 0xffff) << 16);
            case Cublas.R_16F -> Float.float16ToFloat(m.getAtIndex(ValueLayout.JAVA_SHORT, index));
            default -> throw new IllegalArgumentException("GEMM element type " + type + "; expected R_32F, R_16BF or R_16F");
        };
    }
}
