// Element types of tensors. Block-quantized types fit the same description: a block of
// `blockSize` elements stored in `blockBytes` bytes (plain types are blocks of one element).
package dev.strata.engine.tensor;

public enum DType {
    F32(1, 4, true),
    F16(1, 2, true),
    BF16(1, 2, true),
    F64(1, 8, true),
    I64(1, 8, false),
    I32(1, 4, false);

    private final int blockSize;
    private final int blockBytes;
    private final boolean floating;

    DType(int blockSize, int blockBytes, boolean floating) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
        this.floating = floating;
    }

    public int blockSize() { return blockSize; }

    public int blockBytes() { return blockBytes; }

    public boolean isFloating() { return floating; }

    /** Bytes needed for {@code elements} elements; throws if not a whole number of blocks or on overflow. */
    public long bytesFor(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(elements + " elements is not a whole number of " + this + " blocks of " + blockSize);
        }
        return Math.multiplyExact(elements / blockSize, (long) blockBytes);
    }

    /** Maps a safetensors dtype name (F32, BF16, ...) to a DType, with a clear error for ones the engine cannot compute with. */
    public static DType fromSafetensors(String name) {
        return switch (name) {
            case "F32" -> F32;
            case "F16" -> F16;
            case "BF16" -> BF16;
            case "F64" -> F64;
            case "I64" -> I64;
            case "I32" -> I32;
            default -> throw new IllegalArgumentException("unsupported dtype " + name + "; expected one of F32, F16, BF16, F64, I64, I32");
        };
    }
}
