// One CUDA device through JCuda's driver API: primary context, one stream, cuMemAlloc buffers,
// async copies (readLater's small reads through pinned memory, PinnedReads), kernel launches from
// launch plans, cuBLAS (FFM) on the same stream, CUDA graph capture/replay and event timing. Every
// status goes through CudaCheck. Under strata.cuda.pdl=on (the default),
// on sm_90+, kernels launch through cuLaunchKernelEx (FFM) with programmatic stream serialization,
// so each may start while its predecessor finishes (strata_cuda.cuh's pdl_entry).
package dev.strata.cuda;

import dev.strata.engine.backend.Bindings;
import dev.strata.engine.backend.BufferView;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.backend.DeviceBuffer;
import dev.strata.engine.backend.Support;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.kv.KvStorage;
import dev.strata.engine.ops.Op;
import dev.strata.engine.tensor.DType;
import dev.strata.nativelib.Cublas;
import dev.strata.nativelib.CudaLaunchEx;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.logging.Logger;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUevent;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.JCudaDriver;

public final class CudaDevice implements ComputeDevice {
    private static final Logger LOG = Logger.getLogger(CudaDevice.class.getName());
    private static final long COPY_CHUNK = 1L << 30;
    private static final long CUBLAS_WORKSPACE = 32L << 20;

    private final int ordinal;
    private final String name;
    private final CudaCheck check;
    private final CUcontext context = new CUcontext();
    private final RawStream stream = new RawStream();
    private final CudaKernels kernels;
    private final Cublas cublas;
    private final CudaBuffer cublasWorkspace;
    private final boolean graphs;
    private final int sharedOptIn;
    private final int multiprocessors;
    /** cuLaunchKernelEx for programmatic dependent launch, or null (off, below sm_90, or unbound). */
    private final CudaLaunchEx pdl;
    private final ScratchBuffers scratch = new ScratchBuffers(this::allocate);
    private boolean capturing;
    /** Pinned buffers for readLater, made on first use. */
    private PinnedReads pinnedReads;

    CudaDevice(int ordinal, String name, boolean graphs) {
        this.ordinal = ordinal;
        this.name = name;
        this.graphs = graphs;
        this.check = new CudaCheck(ordinal);
        CUdevice dev = new CUdevice();
        check.check(JCudaDriver.cuDeviceGet(dev, ordinal), "cuDeviceGet");
        check.check(JCudaDriver.cuDevicePrimaryCtxRetain(context, dev), "cuDevicePrimaryCtxRetain");
        check.check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
        check.check(JCudaDriver.cuStreamCreate(stream, jcuda.driver.CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
        int[] optIn = new int[1];
        check.check(JCudaDriver.cuDeviceGetAttribute(optIn, jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, dev),
                "cuDeviceGetAttribute(MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)");
        this.sharedOptIn = optIn[0];
        int[] sms = new int[1];
        check.check(JCudaDriver.cuDeviceGetAttribute(sms, jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev),
                "cuDeviceGetAttribute(MULTIPROCESSOR_COUNT)");
        this.multiprocessors = sms[0];
        int[] major = new int[1];
        check.check(JCudaDriver.cuDeviceGetAttribute(major, jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev),
                "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MAJOR)");
        this.pdl = PDL && major[0] >= 9 ? bindLaunchEx() : null;
        if (PDL && major[0] < 9) LOG.info("strata.cuda.pdl=on ignored: programmatic dependent launch needs sm_90+, device is sm_" + major[0] + "x");
        this.kernels = new CudaKernels(check, sharedOptIn);
        Cublas blas = null;
        CudaBuffer ws = null;
        try {
            blas = Cublas.create();
            blas.setStream(stream.handle());
            ws = allocate(CUBLAS_WORKSPACE, "cublas workspace");
            blas.setWorkspace(ws.address(), CUBLAS_WORKSPACE);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            LOG.warning("cuBLAS unavailable, prefill GEMMs fall back to the GEMV kernel: " + e.getMessage());
            if (ws != null) ws.close();
            ws = null;
            blas = null;
        }
        this.cublas = blas;
        this.cublasWorkspace = ws;
    }

    /**
     * Whether kernels launch with programmatic dependent launch on sm_90+ devices (system property
     * strata.cuda.pdl: on, the default, or off). On the H100 (2026-11-27) it lifted batch-1 decode
     * of the 1B shape from 638 and 634 to 690 and 670 tok/s, batch 32 unchanged.
     */
    static final boolean PDL = CudaSwitches.property("strata.cuda.pdl", "on");

    static boolean pdl(String value) { return CudaSwitches.parse("strata.cuda.pdl", value); }

    private static CudaLaunchEx bindLaunchEx() {
        try {
            return CudaLaunchEx.open();
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            LOG.warning("strata.cuda.pdl=on ignored: cuLaunchKernelEx unavailable: " + e.getMessage());
            return null;
        }
    }

    private void current() {
        check.usable();
        check.check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    public String description() { return name + " (cuda:" + ordinal + (cublas == null ? ", no cuBLAS" : "") + (pdl != null ? ", PDL" : "") + ")"; }

    public Support supports(Op op) { return supports(op, sharedOptIn); }

    /** What the kernels take on a device with `sharedOptIn` bytes of opt-in shared memory per block. */
    static Support supports(Op op, int sharedOptIn) {
        return switch (op) {
            case dev.strata.engine.ops.Attention a when a.spec().headDim() > 256 -> Support.no("attention head_dim " + a.spec().headDim() + " > 256");
            case dev.strata.engine.ops.Attention a when AttentionCuda.prefillSharedBytes(a.spec().headDim()) > sharedOptIn ->
                    Support.no("attention head_dim " + a.spec().headDim() + " needs " + AttentionCuda.prefillSharedBytes(a.spec().headDim())
                            + " bytes of shared memory; this device allows " + sharedOptIn);
            default -> Support.YES;
        };
    }

    public CudaBuffer allocate(long bytes, String purpose) {
        current();
        DevicePtr p = new DevicePtr();
        check.check(JCudaDriver.cuMemAlloc(p, Math.max(bytes, 1)), "cuMemAlloc(" + bytes + " bytes for " + purpose + ")");
        return new CudaBuffer(p, bytes);
    }

    public DeviceBuffer uploadWeight(String weight, DType dtype, MemorySegment host) {
        CudaBuffer b = allocate(host.byteSize(), "weight " + weight);
        write(b, 0, host);
        synchronize();
        return b;
    }

    public void write(DeviceBuffer dst, long dstByteOffset, MemorySegment src) {
        current();
        CudaBuffer d = (CudaBuffer) dst;
        inChunks(src, (off, host, len) ->
                check.check(JCudaDriver.cuMemcpyHtoDAsync(d.ptr().withByteOffset(dstByteOffset + off), host, len, stream), "cuMemcpyHtoDAsync"));
    }

    public void read(DeviceBuffer src, long srcByteOffset, MemorySegment dst) {
        current();
        CudaBuffer s = (CudaBuffer) src;
        inChunks(dst, (off, host, len) ->
                check.check(JCudaDriver.cuMemcpyDtoHAsync(host, s.ptr().withByteOffset(srcByteOffset + off), len, stream), "cuMemcpyDtoHAsync"));
        synchronize();
    }

    @Override public void copy(DeviceBuffer src, long srcByteOffset, DeviceBuffer dst, long dstByteOffset, long bytes) {
        current();
        check.check(JCudaDriver.cuMemcpyDtoDAsync(((CudaBuffer) dst).ptr().withByteOffset(dstByteOffset),
                ((CudaBuffer) src).ptr().withByteOffset(srcByteOffset), bytes, stream), "cuMemcpyDtoDAsync");
    }

    /** Small reads (≤ PinnedReads.SLOT_BYTES, e.g. drawn tokens) go through pinned memory and wait on their own event; larger ones read at once. */
    @Override public PendingRead readLater(DeviceBuffer src, long srcByteOffset, MemorySegment dst) {
        if (dst.byteSize() > PinnedReads.SLOT_BYTES) return ComputeDevice.super.readLater(src, srcByteOffset, dst);
        current();
        if (pinnedReads == null) pinnedReads = new PinnedReads(check);
        PendingRead read = pinnedReads.enqueue(((CudaBuffer) src).ptr().withByteOffset(srcByteOffset), dst, stream);
        return () -> {
            current();
            read.await();
        };
    }

    private interface Chunk { void copy(long offset, Pointer host, long bytes); }

    /** Host memory in pieces a ByteBuffer can address (< 2 GiB each). */
    private static void inChunks(MemorySegment host, Chunk chunk) {
        for (long off = 0; off < host.byteSize(); off += COPY_CHUNK) {
            long len = Math.min(COPY_CHUNK, host.byteSize() - off);
            chunk.copy(off, Pointer.to(host.asSlice(off, len).asByteBuffer()), len);
        }
    }

    public void launch(Op op, Bindings b) {
        current();
        PlanContext ctx = new Context(b);
        for (Launch l : CudaLaunchPlans.plan(op, ctx, DevTensors.of(b.out()))) execute(l);
    }

    private void execute(Launch l) {
        switch (l) {
            case Launch.Kernel k when pdl != null -> {
                List<Object> args = k.args().stream().map(a -> a instanceof Launch.Ptr p ? (Object) p.address() : a).toList();
                check.check(pdl.launch(kernels.handle(k.module(), k.function()), k.gridX(), k.gridY(), k.gridZ(), k.block(), k.sharedBytes(),
                        stream.handle(), true, args), "cuLaunchKernelEx", k.function());
            }
            case Launch.Kernel k -> {
                Pointer[] args = new Pointer[k.args().size()];
                for (int i = 0; i < args.length; i++) {
                    args[i] = switch (k.args().get(i)) {
                        case Launch.Ptr p -> Pointer.to(new long[] {p.address()});
                        case Integer v -> Pointer.to(new int[] {v});
                        case Float v -> Pointer.to(new float[] {v});
                        default -> throw new IllegalStateException("bad kernel argument " + k.args().get(i));
                    };
                }
                check.check(JCudaDriver.cuLaunchKernel(kernels.function(k.module(), k.function()), k.gridX(), k.gridY(), k.gridZ(),
                        k.block(), 1, 1, k.sharedBytes(), stream, Pointer.to(args), null), "cuLaunchKernel", k.function());
            }
            case Launch.Gemm g -> {
                if (g.abType() == Cublas.R_32F) {
                    cublas.sgemm(g.transA(), g.transB(), g.m(), g.n(), g.k(), g.a(), g.lda(), g.b(), g.ldb(), g.c(), g.ldc());
                } else {
                    cublas.gemmEx(g.transA(), g.transB(), g.m(), g.n(), g.k(), g.a(), g.abType(), g.lda(), g.b(), g.ldb(), g.c(), g.ldc());
                }
            }
        }
    }

    private final class Context implements PlanContext {
        private final Bindings b;

        Context(Bindings b) { this.b = b; }

        public DevTensor tensor(Tensor t) { return DevTensors.of(b.view(t)); }

        public long scratch(String purpose, long bytes) { return scratch.get(purpose, bytes, capturing).address(); }

        public long zeroedScratch(String purpose, long bytes) {
            CudaMemory before = scratch.current(purpose), s = scratch.get(purpose, bytes, capturing);
            if (s != before) {
                check.check(JCudaDriver.cuMemsetD8Async(((CudaBuffer) s).ptr(), (byte) 0, s.byteSize(), stream),
                        "cuMemsetD8Async", "scratch " + purpose);
            }
            return s.address();
        }

        public boolean cublas() { return cublas != null; }

        public int multiprocessors() { return multiprocessors; }

        @Override
        public int sharedOptIn() { return sharedOptIn; }

        public KvSpec kvSpec() { return b.kv().spec(); }

        public long kvKeys(int layer) { return ((CudaKvStorage) b.kv()).keys(layer); }

        public long kvValues(int layer) { return ((CudaKvStorage) b.kv()).values(layer); }
    }

    public void synchronize() {
        current();
        check.check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
    }

    public KvStorage allocateKv(KvSpec spec) { return CudaKvStorage.allocate(spec, this::allocate); }

    public Replay capture(Runnable work) {
        if (!graphs) return null;
        current();
        CUgraph graph = new CUgraph();
        capturing = true;
        try {
            check.check(JCudaDriver.cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL), "cuStreamBeginCapture");
            try {
                work.run();
            } finally {
                check.check(JCudaDriver.cuStreamEndCapture(stream, graph), "cuStreamEndCapture");
            }
        } finally {
            capturing = false;
        }
        CUgraphExec exec = new CUgraphExec();
        check.check(JCudaDriver.cuGraphInstantiate(exec, graph, 0), "cuGraphInstantiate");
        JCudaDriver.cuGraphDestroy(graph);
        return new Replay() {
            public void launch() {
                current();
                check.check(JCudaDriver.cuGraphLaunch(exec, stream), "cuGraphLaunch");
            }

            public void close() { JCudaDriver.cuGraphExecDestroy(exec); }
        };
    }

    public long timeNanos(Runnable work) {
        current();
        CUevent start = new CUevent(), stop = new CUevent();
        check.check(JCudaDriver.cuEventCreate(start, 0), "cuEventCreate");
        check.check(JCudaDriver.cuEventCreate(stop, 0), "cuEventCreate");
        try {
            check.check(JCudaDriver.cuEventRecord(start, stream), "cuEventRecord");
            work.run();
            check.check(JCudaDriver.cuEventRecord(stop, stream), "cuEventRecord");
            check.check(JCudaDriver.cuEventSynchronize(stop), "cuEventSynchronize");
            float[] ms = new float[1];
            check.check(JCudaDriver.cuEventElapsedTime(ms, start, stop), "cuEventElapsedTime");
            return (long) (ms[0] * 1e6);
        } finally {
            JCudaDriver.cuEventDestroy(start);
            JCudaDriver.cuEventDestroy(stop);
        }
    }

    @Override public void close() {
        try {
            synchronize();
        } finally {
            scratch.close();
            if (pinnedReads != null) pinnedReads.close();
            if (cublas != null) cublas.close();
            if (cublasWorkspace != null) cublasWorkspace.close();
            kernels.unload();
            JCudaDriver.cuStreamDestroy(stream);
        }
    }

    /** For tests and tools: the launch plan an op would get, without running it. */
    static List<Launch> planFor(Op op, PlanContext ctx, DevTensor out) { return CudaLaunchPlans.plan(op, ctx, out); }
}
