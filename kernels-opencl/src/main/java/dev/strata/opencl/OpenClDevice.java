// One OpenCL device through LWJGL: context, an in-order profiling queue, the .cl programs built
// for this device when it opens (the build log is in the exception when one fails), cl_mem
// buffers, weights uploaded once as stored (F32, F16 or BF16: 16-bit weights stay 16-bit and
// kernels widen them on load), kernel launches from launch plans, device copies and reads waited
// on by event (readLater). Every cl* status goes through ClCheck.
package dev.strata.opencl;

import dev.strata.engine.backend.BackendException;
import dev.strata.engine.backend.Bindings;
import dev.strata.engine.backend.BufferView;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.backend.DeviceBuffer;
import dev.strata.engine.backend.Support;
import dev.strata.engine.graph.Tensor;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.kv.KvStorage;
import dev.strata.engine.ops.Attention;
import dev.strata.engine.ops.MatMul;
import dev.strata.engine.ops.Op;
import dev.strata.engine.ops.Sample;
import dev.strata.engine.tensor.DType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.lwjgl.PointerBuffer;
import org.lwjgl.opencl.CL10;
import org.lwjgl.opencl.CL12;
import org.lwjgl.system.MemoryStack;

public final class OpenClDevice implements ComputeDevice {
    static final List<String> PROGRAMS = List.of("embedding", "matmul", "rms_norm", "layer_norm", "rope", "attention", "softmax",
            "activate", "gated_activate", "add", "scale", "argmax");
    /** Largest host → device copy per clEnqueueWriteBuffer (a ByteBuffer addresses < 2 GiB). */
    private static final long COPY_CHUNK = 1L << 30;
    private static final String COMMON = "strata_common";

    private final ClPlatforms.ClDeviceInfo info;
    private final ClCheck check;
    private final long context;
    private final long queue;
    private final Map<String, Long> programs = new HashMap<>();
    private final Map<String, Long> kernels = new HashMap<>();
    private final ClBuffer dummy;
    /** CL_DEVICE_LOCAL_MEM_SIZE: what one work-group's __local arrays may use. */
    private final long localMemory;
    /** Intermediates of fused ops (prenormed rows, gate/up products), by purpose; grown on demand. */
    private final Map<String, ClBuffer> scratch = new HashMap<>();

    OpenClDevice(ClPlatforms.ClDeviceInfo info) {
        this.info = info;
        this.check = new ClCheck(info.name() + " (" + info.platformName() + ")");
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer err = stack.mallocInt(1);
            PointerBuffer props = stack.mallocPointer(3).put(CL10.CL_CONTEXT_PLATFORM).put(info.platform()).put(0).flip();
            context = CL10.clCreateContext(props, info.device(), null, 0, err);
            check.check(err.get(0), "clCreateContext");
            queue = CL10.clCreateCommandQueue(context, info.device(), CL10.CL_QUEUE_PROFILING_ENABLE, err);
            check.check(err.get(0), "clCreateCommandQueue");
        }
        for (String p : PROGRAMS) programs.put(p, build(p));
        if (info.int64Atomics()) programs.put("sample", build("sample"));
        localMemory = ClPlatforms.deviceLong(info.device(), CL10.CL_DEVICE_LOCAL_MEM_SIZE);
        dummy = allocate(256, "dummy argument");
    }

    private static String source(String name) {
        try (InputStream in = OpenClDevice.class.getResourceAsStream("/dev/strata/opencl/kernels/" + name + ".cl")) {
            if (in == null) throw new BackendException("OpenCL kernel source " + name + ".cl is missing from the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Builds one kernel file, with the shared prelude (strata_common.cl) in front of it. */
    private long build(String name) { return build(name, source(name)); }

    /**
     * Builds kernel source `body` (named `name` in errors) behind the shared prelude; a source
     * that does not compile is released and reported with the device's build log.
     */
    long build(String name, String body) {
        String source = source(COMMON) + "\n" + body;
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer err = stack.mallocInt(1);
            long program = CL10.clCreateProgramWithSource(context, source, err);
            check.check(err.get(0), "clCreateProgramWithSource", name + ".cl");
            int status = CL10.clBuildProgram(program, info.device(), "-cl-std=CL1.2", null, 0);
            if (status != 0) {
                String log = buildLog(program);
                CL10.clReleaseProgram(program);
                throw new BackendException("OpenCL kernel " + name + ".cl did not compile on " + info.name() + " (" + ClCheck.name(status) + "):\n" + log);
            }
            return program;
        }
    }

    private String buildLog(long program) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer size = stack.mallocPointer(1);
            org.lwjgl.opencl.CL10.clGetProgramBuildInfo(program, info.device(), CL10.CL_PROGRAM_BUILD_LOG, (ByteBuffer) null, size);
            ByteBuffer log = org.lwjgl.system.MemoryUtil.memAlloc((int) Math.max(1, size.get(0)));
            try {
                CL10.clGetProgramBuildInfo(program, info.device(), CL10.CL_PROGRAM_BUILD_LOG, log, null);
                byte[] b = new byte[log.remaining()];
                log.get(b);
                return new String(b, StandardCharsets.UTF_8).trim();
            } finally {
                org.lwjgl.system.MemoryUtil.memFree(log);
            }
        }
    }

    private long kernel(String program, String name) {
        return kernels.computeIfAbsent(name, k -> {
            try (MemoryStack stack = MemoryStack.stackPush()) {
                IntBuffer err = stack.mallocInt(1);
                long kernel = CL10.clCreateKernel(programs.get(program), name, err);
                check.check(err.get(0), "clCreateKernel", name);
                return kernel;
            }
        });
    }

    public String description() { return info.name() + " (opencl:" + info.index() + ", " + info.platformName() + ")"; }

    public Support supports(Op op) {
        return switch (op) {
            case Attention a when a.spec().headDim() > 256 -> Support.no("attention head_dim " + a.spec().headDim() + " > 256");
            case Attention a -> fitsLocalMemory("attention", "attention", "attention_prefill");
            case MatMul m -> fitsLocalMemory("matmul", "gemv_out_in", "gemv_out_in_gate", "gemv_in_out", "matmul_tiled");
            case Sample s when !info.int64Atomics() -> Support.no("sample needs cl_khr_int64_base_atomics (64-bit local atomics), which " + info.name() + " lacks");
            default -> Support.YES;
        };
    }

    /** Whether the built kernels' local memory (CL_KERNEL_LOCAL_MEM_SIZE) fits the device's. */
    private Support fitsLocalMemory(String program, String... names) {
        for (String name : names) {
            Support s = localMemory(name, kernelLong(name, kernel(program, name), CL10.CL_KERNEL_LOCAL_MEM_SIZE), localMemory, info.name());
            if (!s.supported()) return s;
        }
        return Support.YES;
    }

    static Support localMemory(String kernel, long needed, long available, String device) {
        return needed <= available ? Support.YES
                : Support.no("OpenCL kernel " + kernel + " needs " + needed + " bytes of local memory; " + device + " has " + available + " (CL_DEVICE_LOCAL_MEM_SIZE)");
    }

    private long kernelLong(String name, long kernel, int param) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            LongBuffer v = stack.mallocLong(1);
            check.check(CL10.clGetKernelWorkGroupInfo(kernel, info.device(), param, v, null), "clGetKernelWorkGroupInfo", name);
            return v.get(0);
        }
    }

    public ClBuffer allocate(long bytes, String purpose) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer err = stack.mallocInt(1);
            long mem = CL10.clCreateBuffer(context, CL10.CL_MEM_READ_WRITE, Math.max(bytes, 4), err);
            check.check(err.get(0), "clCreateBuffer(" + bytes + " bytes for " + purpose + ")");
            return new ClBuffer(mem, bytes);
        }
    }

    /**
     * Weights stay as stored (F32, F16 or BF16; kernels widen 16-bit weights on load), written
     * straight from the mapped host segment with no staging copy.
     */
    public DeviceBuffer uploadWeight(String name, DType dtype, MemorySegment host) {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new BackendException("weight " + name + " has dtype " + dtype + "; the OpenCL backend stores F32, F16 or BF16 weights");
        }
        ClBuffer b = allocate(host.byteSize(), "weight " + name + " (" + dtype + ")");
        write(b, 0, host);
        synchronize();
        return b;
    }

    public void write(DeviceBuffer dst, long dstByteOffset, MemorySegment src) {
        for (long off = 0; off < src.byteSize(); off += COPY_CHUNK) {
            MemorySegment part = src.asSlice(off, Math.min(COPY_CHUNK, src.byteSize() - off));
            check.check(CL10.clEnqueueWriteBuffer(queue, ((ClBuffer) dst).mem(), false, dstByteOffset + off, part.asByteBuffer(), null, null), "clEnqueueWriteBuffer");
        }
    }

    public void read(DeviceBuffer src, long srcByteOffset, MemorySegment dst) {
        check.check(CL10.clEnqueueReadBuffer(queue, ((ClBuffer) src).mem(), true, srcByteOffset, dst.asByteBuffer(), null, null), "clEnqueueReadBuffer");
    }

    @Override public void copy(DeviceBuffer src, long srcByteOffset, DeviceBuffer dst, long dstByteOffset, long bytes) {
        check.check(CL10.clEnqueueCopyBuffer(queue, ((ClBuffer) src).mem(), ((ClBuffer) dst).mem(), srcByteOffset, dstByteOffset, bytes, null, null),
                "clEnqueueCopyBuffer");
    }

    /** A non-blocking read with its event; await() waits for that event (and so for the queue up to it) alone. */
    @Override public PendingRead readLater(DeviceBuffer src, long srcByteOffset, MemorySegment dst) {
        long event;
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer ev = stack.mallocPointer(1);
            check.check(CL10.clEnqueueReadBuffer(queue, ((ClBuffer) src).mem(), false, srcByteOffset, dst.asByteBuffer(), null, ev), "clEnqueueReadBuffer");
            event = ev.get(0);
        }
        check.check(CL10.clFlush(queue), "clFlush");
        return new PendingRead() {
            private boolean done;

            @Override public void await() {
                if (done) return;
                done = true;
                try {
                    check.check(CL10.clWaitForEvents(event), "clWaitForEvents");
                } finally {
                    CL10.clReleaseEvent(event);
                }
            }
        };
    }

    public void launch(Op op, Bindings b) {
        for (ClCall call : ClLaunchPlans.plan(op, new Context(b), tensor(b.out()))) enqueue(call);
    }

    /** Enqueues a launch plan built outside launch() (kernel tests place tensors at chosen offsets). */
    void enqueue(List<ClCall> plan) { plan.forEach(this::enqueue); }

    private void enqueue(ClCall call) {
        long k = kernel(call.program(), call.kernel());
        for (int i = 0; i < call.args().size(); i++) {
            Object a = call.args().get(i);
            int status = switch (a) {
                case ClCall.Mem m -> CL10.clSetKernelArg1p(k, i, m.handle());
                case Integer v -> CL10.clSetKernelArg1i(k, i, v);
                case Float v -> CL10.clSetKernelArg1f(k, i, v);
                default -> throw new IllegalStateException("bad kernel argument " + a);
            };
            check.check(status, "clSetKernelArg(" + i + ")", call.kernel());
        }
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer global = stack.mallocPointer(call.global().length);
            for (long g : call.global()) global.put(g);
            global.flip();
            PointerBuffer local = null;
            if (call.local() != null) {
                local = stack.mallocPointer(call.local().length);
                for (long l : call.local()) local.put(l);
                local.flip();
            }
            check.check(CL10.clEnqueueNDRangeKernel(queue, k, call.global().length, null, global, local, null, null), "clEnqueueNDRangeKernel", call.kernel());
        }
    }

    /** Element offset, stride and dtype of a view (weights, stored as uploaded, start at offset 0). */
    static ClLaunchPlans.ClTensor tensor(BufferView v) {
        return new ClLaunchPlans.ClTensor(((ClBuffer) v.buffer()).mem(), Math.toIntExact(v.offset()), v.rows(), v.cols(), v.rowStride(), v.dtype());
    }

    private final class Context implements ClLaunchPlans.Context {
        private final Bindings b;

        Context(Bindings b) { this.b = b; }

        public ClLaunchPlans.ClTensor tensor(Tensor t) { return OpenClDevice.tensor(b.view(t)); }

        public long dummy() { return dummy.mem(); }

        public long scratch(String purpose, long bytes) { return scratchBuffer(purpose, bytes).mem(); }

        public KvSpec kvSpec() { return b.kv().spec(); }

        public long kvKeys(int layer) { return ((ClKvStorage) b.kv()).keys(layer); }

        public long kvValues(int layer) { return ((ClKvStorage) b.kv()).values(layer); }
    }

    private ClBuffer scratchBuffer(String purpose, long bytes) {
        ClBuffer s = scratch.get(purpose);
        if (s != null && s.byteSize() >= bytes) return s;
        if (s != null) {
            synchronize();
            s.close();
        }
        s = allocate(bytes, "scratch " + purpose);
        scratch.put(purpose, s);
        return s;
    }

    public void synchronize() { check.check(CL10.clFinish(queue), "clFinish"); }

    /**
     * Device time of `work` from the profiling queue: the end of a marker enqueued before it to the
     * end of one enqueued after it (OpenCL 1.2 markers), so host enqueue cost between kernels is
     * included only where the device waited for it.
     */
    @Override public long timeNanos(Runnable work) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer before = stack.mallocPointer(1), after = stack.mallocPointer(1);
            check.check(CL12.clEnqueueMarkerWithWaitList(queue, null, before), "clEnqueueMarkerWithWaitList");
            try {
                work.run();
                check.check(CL12.clEnqueueMarkerWithWaitList(queue, null, after), "clEnqueueMarkerWithWaitList");
                try {
                    check.check(CL10.clWaitForEvents(after.get(0)), "clWaitForEvents");
                    return profiledEnd(after.get(0)) - profiledEnd(before.get(0));
                } finally {
                    CL10.clReleaseEvent(after.get(0));
                }
            } finally {
                CL10.clReleaseEvent(before.get(0));
            }
        }
    }

    private long profiledEnd(long event) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            LongBuffer t = stack.mallocLong(1);
            check.check(CL10.clGetEventProfilingInfo(event, CL10.CL_PROFILING_COMMAND_END, t, null), "clGetEventProfilingInfo");
            return t.get(0);
        }
    }

    public KvStorage allocateKv(KvSpec spec) {
        long perLayer = (long) spec.slots() * spec.capacity() * spec.rowWidth() * Float.BYTES;
        ClBuffer[] k = new ClBuffer[spec.layers()], v = new ClBuffer[spec.layers()];
        for (int l = 0; l < spec.layers(); l++) {
            k[l] = allocate(perLayer, "KV keys, layer " + l);
            v[l] = allocate(perLayer, "KV values, layer " + l);
        }
        return new ClKvStorage(spec, k, v);
    }

    @Override public void close() {
        synchronize();
        dummy.close();
        scratch.values().forEach(ClBuffer::close);
        kernels.values().forEach(CL10::clReleaseKernel);
        programs.values().forEach(CL10::clReleaseProgram);
        CL10.clReleaseCommandQueue(queue);
        CL10.clReleaseContext(context);
    }
}
