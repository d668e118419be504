// The CPU device: host memory, eager execution on a worker pool. Reference mode runs every op
// with double accumulation on one thread (the engine's ground truth); fast mode uses the
// multi-threaded, vectorised kernels.
package dev.strata.engine.cpu;

import dev.strata.engine.backend.Bindings;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.backend.DeviceBuffer;
import dev.strata.engine.backend.Support;
import dev.strata.engine.cpu.kernels.AttentionCpu;
import dev.strata.engine.cpu.kernels.ElementwiseCpu;
import dev.strata.engine.cpu.kernels.MatMulCpu;
import dev.strata.engine.cpu.kernels.NormCpu;
import dev.strata.engine.cpu.kernels.RopeCpu;
import dev.strata.engine.cpu.kernels.SampleCpu;
import dev.strata.engine.kv.KvSpec;
import dev.strata.engine.kv.KvStorage;
import dev.strata.engine.ops.*;
import dev.strata.engine.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

public final class CpuDevice implements ComputeDevice {
    private final boolean reference;
    private final CpuParallel par;
    /** Intermediates of fused matmuls by purpose, byte-backed (the Vector API reads heap segments only over byte[]). */
    private final Map<String, byte[]> scratch = new HashMap<>();

    public CpuDevice(boolean reference, int threads) {
        this.reference = reference;
        this.par = new CpuParallel(reference ? 1 : threads);
    }

    public boolean reference() { return reference; }

    public String description() {
        return reference ? "cpu (reference, double accumulation)" : "cpu (" + par.threads() + " threads, Vector API)";
    }

    public Support supports(Op op) {
        return switch (op) {
            case MatMul mm when mm.w().dtype() != DType.F32 && mm.w().dtype() != DType.F16 && mm.w().dtype() != DType.BF16 ->
                    Support.no("matmul weight dtype " + mm.w().dtype() + " is not F32, F16 or BF16");
            default -> Support.YES;
        };
    }

    public DeviceBuffer allocate(long bytes, String purpose) { return CpuBuffer.allocate(bytes); }

    /**
     * Aliases the mapping, re-typed as a plain native segment (same address, size and scope): the
     * Vector API kernels then see one segment class for weights and activations alike. With mapped
     * weights beside native activations their loads ran 4.5× slower in decode (JIT profile
     * pollution), bench/RESULTS.md.
     */
    public DeviceBuffer uploadWeight(String name, DType dtype, MemorySegment host) { return new CpuBuffer(host.reinterpret(host.byteSize()), null); }

    public void write(DeviceBuffer dst, long dstByteOffset, MemorySegment src) {
        ((CpuBuffer) dst).segment().asSlice(dstByteOffset, src.byteSize()).copyFrom(src);
    }

    public void read(DeviceBuffer src, long srcByteOffset, MemorySegment dst) {
        dst.copyFrom(((CpuBuffer) src).segment().asSlice(srcByteOffset, dst.byteSize()));
    }

    @Override public void copy(DeviceBuffer src, long srcByteOffset, DeviceBuffer dst, long dstByteOffset, long bytes) {
        MemorySegment.copy(((CpuBuffer) src).segment(), srcByteOffset, ((CpuBuffer) dst).segment(), dstByteOffset, bytes);
    }

    public void launch(Op op, Bindings b) {
        Mat out = Mat.of(b.out());
        switch (op) {
            case Embedding e -> ElementwiseCpu.embedding(m(b, e.table()), m(b, e.ids()), out, par);
            case MatMul mm -> matmul(mm, b, out);
            case RmsNorm n -> rms(m(b, n.x()), m(b, n.weight()), n.eps(), out);
            case LayerNorm n -> {
                Mat bias = orNull(b, n.bias());
                if (reference) NormCpu.layer(m(b, n.x()), m(b, n.weight()), bias, n.eps(), out, par);
                else NormCpu.layerFast(m(b, n.x()), m(b, n.weight()), bias, n.eps(), out, par);
            }
            case Rope r -> RopeCpu.run(m(b, r.x()), m(b, r.positions()), m(b, r.invFreq()), r.heads(), r.headDim(), r.rotaryDims(), out, par);
            case Attention a -> {
                CpuKvStorage kv = a.spec().cached() ? (CpuKvStorage) b.kv() : null;
                Mat mask = orNull(b, a.mask()), bias = orNull(b, a.bias());
                if (reference) AttentionCpu.reference(m(b, a.q()), m(b, a.k()), m(b, a.v()), m(b, a.past()), m(b, a.slots()), mask, bias, a.spec(), kv, out);
                else AttentionCpu.fast(m(b, a.q()), m(b, a.k()), m(b, a.v()), m(b, a.past()), m(b, a.slots()), mask, bias, a.spec(), kv, out, par);
            }
            case Softmax s -> ElementwiseCpu.softmax(m(b, s.x()), out, par);
            case Activate a -> ElementwiseCpu.activate(m(b, a.x()), a.act(), reference, out, par);
            case GatedActivate g -> ElementwiseCpu.gated(m(b, g.gate()), m(b, g.up()), g.act(), reference, out, par);
            case Add a -> ElementwiseCpu.add(m(b, a.a()), m(b, a.b()), out, par);
            case Scale s -> ElementwiseCpu.scale(m(b, s.x()), s.factor(), out, par);
            case Argmax a -> ElementwiseCpu.argmax(m(b, a.x()), out);
            case Sample s -> SampleCpu.run(m(b, s.logits()), m(b, s.params()), out, reference, par);
        }
    }

    private void matmul(MatMul mm, Bindings b, Mat out) {
        if (mm.fused()) fusedMatmul(mm, b, out);
        else product(m(b, mm.x()), m(b, mm.w()), orNull(b, mm.bias()), mm.layout(), out);
    }

    /**
     * A matmul and its fused parts, bit-identical to running the ops they stand for. Activation
     * and residual alone go into the fast GEMM's epilogue; anything else runs as those ops.
     */
    private void fusedMatmul(MatMul mm, Bindings b, Mat out) {
        if (mm.prenorm() == null && mm.gate() == null && mm.rotary() == null && !reference) {
            MatMulCpu.fast(m(b, mm.x()), m(b, mm.w()), orNull(b, mm.bias()), mm.layout(), mm.activation(), orNull(b, mm.residual()), out, par);
        } else {
            fusedMatmulAsOps(mm, b, out);
        }
    }

    /** The parts as their ops, intermediates in this device's scratch (hence one such matmul at a time). */
    private synchronized void fusedMatmulAsOps(MatMul mm, Bindings b, Mat out) {
        Mat x = m(b, mm.x());
        if (mm.prenorm() != null) {
            Mat normed = scratch("prenorm", x.rows(), x.cols());
            rms(x, m(b, mm.prenorm().weight()), mm.prenorm().eps(), normed);
            x = normed;
        }
        Mat residual = orNull(b, mm.residual());
        if (mm.gate() == null) {
            product(x, m(b, mm.w()), orNull(b, mm.bias()), mm.layout(), out);
            if (mm.activation() != null) ElementwiseCpu.activate(out, mm.activation(), reference, out, par);
        } else {
            Mat gate = scratch("gate", out.rows(), out.cols()), up = scratch("up", out.rows(), out.cols());
            product(x, m(b, mm.w()), orNull(b, mm.bias()), mm.layout(), gate);
            product(x, m(b, mm.gate().up()), orNull(b, mm.gate().upBias()), mm.layout(), up);
            ElementwiseCpu.gated(gate, up, mm.gate().act(), reference, out, par);
        }
        if (mm.rotary() != null) {
            MatMul.Rotary r = mm.rotary();
            RopeCpu.run(out, m(b, r.positions()), m(b, r.invFreq()), r.heads(), r.headDim(), r.rotaryDims(), out, par);
        }
        if (residual != null) ElementwiseCpu.add(out, residual, out, par);
    }

    /** An F32 [rows, cols] matrix over the scratch buffer for `purpose`, reused across launches (grown on demand). */
    private Mat scratch(String purpose, int rows, int cols) {
        int bytes = Math.multiplyExact(Math.multiplyExact(rows, cols), Float.BYTES);
        byte[] buf = scratch.get(purpose);
        if (buf == null || buf.length < bytes) scratch.put(purpose, buf = new byte[bytes]);
        return new Mat(MemorySegment.ofArray(buf), 0, rows, cols, cols, DType.F32);
    }

    private void rms(Mat x, Mat w, float eps, Mat out) {
        if (reference) NormCpu.rms(x, w, eps, out, par);
        else NormCpu.rmsFast(x, w, eps, out, par);
    }

    private void product(Mat x, Mat w, Mat bias, WeightLayout layout, Mat out) {
        if (reference) MatMulCpu.reference(x, w, bias, layout, out);
        else MatMulCpu.fast(x, w, bias, layout, out, par);
    }

    private static Mat m(Bindings b, dev.strata.engine.graph.Tensor t) { return Mat.of(b.view(t)); }

    private static Mat orNull(Bindings b, dev.strata.engine.graph.Tensor t) { return t == null ? null : m(b, t); }

    public void synchronize() {}

    public KvStorage allocateKv(KvSpec spec) { return new CpuKvStorage(spec); }

    @Override public void close() { par.close(); }
}
