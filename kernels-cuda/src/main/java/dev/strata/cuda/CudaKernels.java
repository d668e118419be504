// The nvcc-built kernel fatbins shipped as resources (dev/strata/cuda/kernels/<module>.fatbin):
// whether they were built, and loading modules / functions on first use.
package dev.strata.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

final class CudaKernels {
    static final String RESOURCE_DIR = "/dev/strata/cuda/kernels/";

    /** Kernels that use more than 48 KB of dynamic shared memory, with their opt-in size. */
    private static final Map<String, Integer> OPT_IN_SHARED = Map.ofEntries(Map.entry("attention_prefill_f32", AttentionCuda.PREFILL_MAX_SHARED),
            Map.entry("attention_prefill_mma_bf16_d64", AttentionCuda.mmaSharedBytes(64)), Map.entry("attention_prefill_mma_f16_d64", AttentionCuda.mmaSharedBytes(64)),
            Map.entry("attention_prefill_mma_bf16_d128", AttentionCuda.mmaSharedBytes(128)), Map.entry("attention_prefill_mma_f16_d128", AttentionCuda.mmaSharedBytes(128)),
            Map.entry("attention_prefill_mma_kv16_bf16_d128", AttentionCuda.mmaKv16SharedBytes(128)),
            Map.entry("attention_prefill_mma_kv16_f16_d128", AttentionCuda.mmaKv16SharedBytes(128)),
            Map.entry("attention_prefill_mma_kv16nm_bf16_d128", AttentionCuda.mmaKv16SharedBytes(128)),
            Map.entry("attention_prefill_mma_kv16nm_f16_d128", AttentionCuda.mmaKv16SharedBytes(128)),
            Map.entry("attention_prefill_mma_kv16w32_bf16_d64", AttentionCuda.mmaKv16W32SharedBytes(64)),
            Map.entry("attention_prefill_mma_kv16w32_f16_d64", AttentionCuda.mmaKv16W32SharedBytes(64)),
            Map.entry("attention_prefill_mma_kv16w32_bf16_d128", AttentionCuda.mmaKv16W32SharedBytes(128)),
            Map.entry("attention_prefill_mma_kv16w32_f16_d128", AttentionCuda.mmaKv16W32SharedBytes(128)));

    private final CudaCheck check;
    private final Map<String, CUmodule> modules = new HashMap<>();
    private final Map<String, CUfunction> functions = new HashMap<>();

    private final int sharedOptIn;

    /** sharedOptIn: the device's largest opt-in dynamic shared memory per block. */
    CudaKernels(CudaCheck check, int sharedOptIn) {
        this.check = check;
        this.sharedOptIn = sharedOptIn;
    }

    /** Null when the kernels are in the jar; otherwise why not (e.g. nvcc was missing at build time). */
    static String missingReason() {
        if (CudaKernels.class.getResource(RESOURCE_DIR + "kernels.list") != null) return null;
        try (InputStream in = CudaKernels.class.getResourceAsStream(RESOURCE_DIR + "NOT_BUILT")) {
            if (in != null) return "CUDA kernels were not built (" + new String(in.readAllBytes()).trim() + ")";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return "CUDA kernels were not built (no " + RESOURCE_DIR + "kernels.list in the jar)";
    }

    static byte[] fatbin(String module) {
        try (InputStream in = CudaKernels.class.getResourceAsStream(RESOURCE_DIR + module + ".fatbin")) {
            if (in == null) throw new IllegalStateException("CUDA kernel module " + module + ".fatbin is missing from the jar");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    synchronized CUfunction function(String module, String name) {
        CUfunction f = functions.get(name);
        if (f != null) return f;
        CUmodule m = modules.get(module);
        if (m == null) {
            m = new CUmodule();
            check.check(JCudaDriver.cuModuleLoadData(m, fatbin(module)), "cuModuleLoadData", module + ".fatbin");
            modules.put(module, m);
        }
        f = new RawFunction();
        check.check(JCudaDriver.cuModuleGetFunction(f, m, name), "cuModuleGetFunction", module + "/" + name);
        Integer shared = OPT_IN_SHARED.get(name);
        if (shared != null) {
            check.check(JCudaDriver.cuFuncSetAttribute(f, jcuda.driver.CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, Math.min(shared, sharedOptIn)),
                    "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)", name);
        }
        functions.put(name, f);
        return f;
    }

    /** The raw CUfunction handle of a function (for launches through FFM). */
    long handle(String module, String name) { return ((RawFunction) function(module, name)).handle(); }

    /** A CUfunction whose raw handle is readable, as RawStream. */
    private static final class RawFunction extends CUfunction {
        long handle() { return getNativePointer(); }
    }

    synchronized void unload() {
        modules.values().forEach(JCudaDriver::cuModuleUnload);
        modules.clear();
        functions.clear();
    }
}
