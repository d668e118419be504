// Element access to a BufferView in host memory: the CPU kernels' view of a matrix.
// get() converts any stored float dtype to float; F32 views are read directly. readRow and
// writeRow move a whole row to or from a float[] (a bulk copy for F32), so row-wise kernels
// run their loops over plain arrays.
package dev.strata.engine.cpu;

import dev.strata.engine.backend.BufferView;
import dev.strata.engine.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

public record Mat(MemorySegment seg, long offset, int rows, int cols, int stride, DType dtype) {
    public static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED;

    public static Mat of(BufferView v) {
        return new Mat(((CpuBuffer) v.buffer()).segment(), v.offset(), v.rows(), v.cols(), v.rowStride(), v.dtype());
    }

    /** Element index of (r, c) in the segment. */
    public long index(int r, int c) { return offset + (long) r * stride + c; }

    public float get(int r, int c) { return load(seg, dtype, index(r, c)); }

    public void set(int r, int c, float v) { seg.setAtIndex(FLOAT, index(r, c), v); }

    /** buf[0, cols) = row r as float. */
    public float[] readRow(int r, float[] buf) { return readRow(r, buf, 0); }

    /** buf[off, off + cols) = row r as float. */
    public float[] readRow(int r, float[] buf, int off) {
        if (dtype == DType.F32) MemorySegment.copy(seg, FLOAT, index(r, 0) * Float.BYTES, buf, off, cols);
        else for (int c = 0; c < cols; c++) buf[off + c] = get(r, c);
        return buf;
    }

    /** Row r = buf[0, cols); the view must be F32 (kernel outputs are). */
    public void writeRow(int r, float[] buf) {
        MemorySegment.copy(buf, 0, seg, FLOAT, index(r, 0) * Float.BYTES, cols);
    }

    public int getInt(int r, int c) { return seg.getAtIndex(I, index(r, c)); }

    public void setInt(int r, int c, int v) { seg.setAtIndex(I, index(r, c), v); }

    public static float load(MemorySegment seg, DType dtype, long i) {
        return switch (dtype) {
            case F32 -> seg.getAtIndex(FLOAT, i);
            case F16 -> Float.float16ToFloat(seg.getAtIndex(S, i));
            case BF16 -> Float.intBitsToFloat(seg.getAtIndex(S, i) << 16);
            default -> throw new IllegalStateException("not a float dtype: " + dtype);
        };
    }
}
