// The CUDA backend on the CPU, for machines without a GPU: the same launch plans as CudaDevice
// (CudaLaunchPlans, sized for an H100's 132 multiprocessors and 227 KiB of opt-in shared memory
// unless told otherwise), each kernel run by the host emulation library (EmulatedCuda: the .cu
// sources compiled by g++, every CUDA thread a fiber), cuBLAS's GEMMs by HostGemm, memory in
// native host segments. Work runs when enqueued (the queue is always drained); capture() records
// the enqueued work and replays it, as a CUDA graph would. Slow by design (thousands of fibers per
// launch): it checks the CUDA path's numbers, plans and bookkeeping, not its speed. A run the
// emulation stops (__trap, a barrier that can never complete) makes the device unusable, as a
// sticky CUDA error would.
package dev.strata.cuda;

import dev.strata.engine.backend.Bindings;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.backend.DeviceBuffer;
import dev.strata.engine.backend.Support;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.kv.KvStorage;
import dev.strata.engine.ops.Op;
import dev.strata.engine.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

public final class EmulatedCudaDevice implements ComputeDevice {
    /** An H100 SXM's multiprocessors and opt-in shared memory per block, which the plans are sized for by default. */
    static final int H100_MULTIPROCESSORS = 132, H100_SHARED_OPT_IN = 232_448;

    private final EmulatedCuda library;
    private final int multiprocessors;
    private final boolean graphs;
    private final ScratchBuffers scratch = new ScratchBuffers(this::allocate);
    /** The work being captured, or null when work runs as it is enqueued. */
    private List<Runnable> recording;
    private volatile String poisoned;

    EmulatedCudaDevice(EmulatedCuda library, int multiprocessors, boolean graphs) {
        this.library = library;
        this.multiprocessors = multiprocessors;
        this.graphs = graphs;
    }

    public String description() { return "CUDA kernels on the host emulation (cuda-emu, plans for " + multiprocessors + " SMs)"; }

    public Support supports(Op op) { return CudaDevice.supports(op, H100_SHARED_OPT_IN); }

    private void usable() {
        String p = poisoned;
        if (p != null) throw new CudaException(EmulatedCuda.LAUNCH_FAILED, "the CUDA host emulation is unusable after an earlier error: " + p);
    }

    private void enqueue(Runnable work) {
        usable();
        if (recording != null) recording.add(work);
        else work.run();
    }

    public EmulatedBuffer allocate(long bytes, String purpose) {
        if (bytes < 0) throw new IllegalArgumentException("allocation of " + bytes + " bytes for " + purpose);
        return new EmulatedBuffer(bytes);
    }

    public DeviceBuffer uploadWeight(String weight, DType dtype, MemorySegment host) {
        EmulatedBuffer b = allocate(host.byteSize(), "weight " + weight);
        write(b, 0, host);
        return b;
    }

    public void write(DeviceBuffer dst, long dstByteOffset, MemorySegment src) {
        MemorySegment d = ((EmulatedBuffer) dst).segment();
        enqueue(() -> MemorySegment.copy(src, 0, d, dstByteOffset, src.byteSize()));
    }

    public void read(DeviceBuffer src, long srcByteOffset, MemorySegment dst) {
        usable();
        if (recording != null) throw new IllegalStateException("read during CUDA graph capture");
        MemorySegment.copy(((EmulatedBuffer) src).segment(), srcByteOffset, dst, 0, dst.byteSize());
    }

    @Override public void copy(DeviceBuffer src, long srcByteOffset, DeviceBuffer dst, long dstByteOffset, long bytes) {
        MemorySegment s = ((EmulatedBuffer) src).segment(), d = ((EmulatedBuffer) dst).segment();
        enqueue(() -> MemorySegment.copy(s, srcByteOffset, d, dstByteOffset, bytes));
    }

    public void launch(Op op, Bindings b) {
        usable();
        for (Launch l : CudaLaunchPlans.plan(op, new Context(b), DevTensors.of(b.out()))) run(l);
    }

    /** Enqueues one step of a plan. */
    void run(Launch l) { enqueue(() -> execute(l)); }

    private void execute(Launch l) {
        switch (l) {
            case Launch.Kernel k -> {
                try {
                    library.launch(k);
                } catch (CudaException e) {
                    if (e.status() == EmulatedCuda.LAUNCH_FAILED) poisoned = e.getMessage();
                    throw e;
                }
            }
            case Launch.Gemm g -> HostGemm.run(g);
        }
    }

    private final class Context implements PlanContext {
        private final Bindings b;

        Context(Bindings b) { this.b = b; }

        public DevTensor tensor(Tensor t) { return DevTensors.of(b.view(t)); }

        public long scratch(String purpose, long bytes) { return scratch.get(purpose, bytes, recording != null).address(); }

        public long zeroedScratch(String purpose, long bytes) {
            CudaMemory before = scratch.current(purpose), s = scratch.get(purpose, bytes, recording != null);
            if (s != before) {
                MemorySegment m = ((EmulatedBuffer) s).segment();
                enqueue(() -> m.fill((byte) 0));
            }
            return s.address();
        }

        public boolean cublas() { return true; }

        public int multiprocessors() { return multiprocessors; }

        public int sharedOptIn() { return H100_SHARED_OPT_IN; }

        public KvSpec kvSpec() { return b.kv().spec(); }

        public long kvKeys(int layer) { return ((CudaKvStorage) b.kv()).keys(layer); }

        public long kvValues(int layer) { return ((CudaKvStorage) b.kv()).values(layer); }
    }

    public void synchronize() { usable(); }

    public KvStorage allocateKv(KvSpec spec) { return CudaKvStorage.allocate(spec, this::allocate); }

    /** Records what `work` enqueues (nothing runs), to be replayed in order: a CUDA graph's semantics. */
    public Replay capture(Runnable work) {
        if (!graphs) return null;
        usable();
        List<Runnable> recorded = new ArrayList<>();
        recording = recorded;
        try {
            work.run();
        } finally {
            recording = null;
        }
        List<Runnable> steps = List.copyOf(recorded);
        return new Replay() {
            public void launch() {
                usable();
                if (recording != null) throw new IllegalStateException("a graph launched during another graph's capture");
                steps.forEach(Runnable::run);
            }

            public void close() {}
        };
    }

    @Override public void close() { scratch.close(); }
}
