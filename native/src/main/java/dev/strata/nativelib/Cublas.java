// cuBLAS through Panama FFM (JCublas 12 needs libcublas.so.12, which CUDA 13 hosts lack).
// Binds the few calls Strata uses: create/destroy, stream, workspace, SGEMM and GemmEx.
// Device pointers and the stream are raw addresses from the CUDA driver API.
package dev.strata.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

public final class Cublas implements AutoCloseable {
    public static final int OP_N = 0, OP_T = 1;
    public static final int R_32F = 0, R_16F = 2, R_16BF = 14;
    public static final int COMPUTE_32F = 68;
    public static final int GEMM_DEFAULT = -1;

    private static final ValueLayout.OfLong PTR = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

    private final Arena arena = Arena.ofShared();
    private final MethodHandle destroy, setStream, setWorkspace, sgemm, gemmEx;
    private final long handle;
    private final MemorySegment alpha, beta;

    private Cublas(SymbolLookup lib) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle create = linker.downcallHandle(find(lib, "cublasCreate_v2"), FunctionDescriptor.of(INT, ValueLayout.ADDRESS));
        destroy = linker.downcallHandle(find(lib, "cublasDestroy_v2"), FunctionDescriptor.of(INT, PTR));
        setStream = linker.downcallHandle(find(lib, "cublasSetStream_v2"), FunctionDescriptor.of(INT, PTR, PTR));
        setWorkspace = linker.downcallHandle(find(lib, "cublasSetWorkspace_v2"), FunctionDescriptor.of(INT, PTR, PTR, ValueLayout.JAVA_LONG));
        sgemm = linker.downcallHandle(find(lib, "cublasSgemm_v2"), FunctionDescriptor.of(INT, PTR, INT, INT, INT, INT, INT,
                ValueLayout.ADDRESS, PTR, INT, PTR, INT, ValueLayout.ADDRESS, PTR, INT));
        gemmEx = linker.downcallHandle(find(lib, "cublasGemmEx"), FunctionDescriptor.of(INT, PTR, INT, INT, INT, INT, INT,
                ValueLayout.ADDRESS, PTR, INT, INT, PTR, INT, INT, ValueLayout.ADDRESS, PTR, INT, INT, INT, INT));
        MemorySegment h = arena.allocate(ValueLayout.JAVA_LONG);
        check((int) create.invokeExact(h), "cublasCreate_v2");
        handle = h.get(ValueLayout.JAVA_LONG, 0);
        alpha = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
        beta = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 0f);
    }

    /** Loads libcublas.so.13 (then .12) and creates a handle in the current CUDA context. */
    public static Cublas create() {
        try {
            return new Cublas(NativeLibraries.open(Arena.global(), "libcublas.so.13", "libcublas.so.12", "libcublas.so"));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cuBLAS initialisation failed: " + t, t);
        }
    }

    private static MemorySegment find(SymbolLookup lib, String name) {
        return lib.find(name).orElseThrow(() -> new UnsatisfiedLinkError("cuBLAS symbol " + name + " not found"));
    }

    public void setStream(long stream) {
        try {
            check((int) setStream.invokeExact(handle, stream), "cublasSetStream_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void setWorkspace(long address, long bytes) {
        try {
            check((int) setWorkspace.invokeExact(handle, address, bytes), "cublasSetWorkspace_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Column-major C[m, n] = op(A) · op(B), F32, no TF32. */
    public void sgemm(int transA, int transB, int m, int n, int k, long a, int lda, long b, int ldb, long c, int ldc) {
        try {
            check((int) sgemm.invokeExact(handle, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc), "cublasSgemm_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Column-major C[m, n] (F32) = op(A) · op(B) with A, B of `abType`, F32 compute. */
    public void gemmEx(int transA, int transB, int m, int n, int k, long a, int abType, int lda, long b, int ldb, long c, int ldc) {
        try {
            check((int) gemmEx.invokeExact(handle, transA, transB, m, n, k, alpha, a, abType, lda, b, abType, ldb, beta, c, R_32F, ldc,
                    COMPUTE_32F, GEMM_DEFAULT), "cublasGemmEx");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    static void check(int status, String call) {
        if (status != 0) throw new IllegalStateException("cuBLAS error " + status + " (" + statusName(status) + ") in " + call);
    }

    static String statusName(int s) {
        return switch (s) {
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            default -> "unknown status";
        };
    }

    @Override public void close() {
        try {
            check((int) destroy.invokeExact(handle), "cublasDestroy_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            arena.close();
        }
    }
}
