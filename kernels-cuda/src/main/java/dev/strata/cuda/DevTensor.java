// A tensor's place in device memory as kernels see it: address of [0, 0], shape, row stride
// (elements) and dtype.
package dev.strata.cuda;

import dev.strata.engine.tensor.DType;

public record DevTensor(long address, int rows, int cols, int stride, DType dtype) {
    Launch.Ptr ptr() { return new Launch.Ptr(address); }

    /** The kernel-name suffix for this tensor's element type. */
    String suffix() {
        return switch (dtype) {
            case F32 -> "f32";
            case BF16 -> "bf16";
            case F16 -> "f16";
            default -> throw new IllegalArgumentException("no CUDA kernel variant for " + dtype);
        };
    }

    /** Rows [from, from+count) as a tensor of their own. */
    DevTensor rows(int from, int count) {
        return new DevTensor(address + dtype.bytesFor((long) from * stride), count, cols, stride, dtype);
    }
}
