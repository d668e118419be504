// One step of an op's plan on CUDA: a kernel launch (module = .cu base name, function, grid,
// block, dynamic shared memory, arguments: Ptr, Integer or Float) or a cuBLAS GEMM.
// Plans are plain data, so launch parameters are tested without a GPU.
package dev.strata.cuda;

import java.util.List;

public sealed interface Launch permits Launch.Kernel, Launch.Gemm {
    /** A device address argument. */
    record Ptr(long address) {}

    record Kernel(String module, String function, int gridX, int gridY, int gridZ, int block, int sharedBytes, List<Object> args) implements Launch {
        public Kernel {
            if (gridX <= 0 || gridY <= 0 || gridZ <= 0 || block <= 0 || block > 1024) {
                throw new IllegalArgumentException(function + ": bad launch grid (" + gridX + ", " + gridY + ", " + gridZ + ") block " + block);
            }
            for (Object a : args) {
                if (!(a instanceof Ptr || a instanceof Integer || a instanceof Float)) throw new IllegalArgumentException(function + ": bad argument " + a);
            }
            args = List.copyOf(args);
        }

        static Kernel of(String module, String function, int gridX, int block, Object... args) {
            return new Kernel(module, function, gridX, 1, 1, block, 0, List.of(args));
        }
    }

    /** Column-major cuBLAS GEMM; abType Cublas.R_32F means SGEMM, R_16BF / R_16F mean GemmEx. */
    record Gemm(int transA, int transB, int m, int n, int k, long a, int abType, int lda, long b, int ldb, long c, int ldc) implements Launch {}
}
