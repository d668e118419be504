// A value in a graph: a 2-D matrix [rows, cols] of one dtype. Activations in Strata are
// matrices of [tokens, features]; weights are [out, in] (or [in, out] for Conv1D checkpoints).
// A view aliases a column range of another tensor (rowStride = base's row length), so fused
// projections (GPT-2's c_attn) can be split without copies. A stacked weight holds several
// checkpoint tensors' bytes one after another in one device buffer (Llama's q/k/v projections as
// one [q + k + v, hidden] weight): its parts name them in order.
package dev.strata.engine.graph;

import dev.strata.engine.tensor.DType;
import java.util.List;

public final class Tensor {
    public enum Kind { INPUT, WEIGHT, CONSTANT, ACTIVATION, VIEW, EXTERNAL }

    private final int id;
    private final Kind kind;
    private final DType dtype;
    private final int rows;
    private final int cols;
    private final Tensor base;
    private final long viewOffset;
    private final int rowStride;
    private final String source;
    private final float[] constant;
    private final List<String> parts;
    private String name;

    Tensor(int id, Kind kind, DType dtype, int rows, int cols, Tensor base, long viewOffset, int rowStride,
           String source, float[] constant, List<String> parts, String name) {
        if (rows <= 0 || cols <= 0) throw new ShapeException("tensor '" + name + "' has shape [" + rows + ", " + cols + "]; expected positive dimensions");
        this.id = id;
        this.kind = kind;
        this.dtype = dtype;
        this.rows = rows;
        this.cols = cols;
        this.base = base;
        this.viewOffset = viewOffset;
        this.rowStride = rowStride;
        this.source = source;
        this.constant = constant;
        this.parts = parts;
        this.name = name;
    }

    public int id() { return id; }
    public Kind kind() { return kind; }
    public DType dtype() { return dtype; }
    public int rows() { return rows; }
    public int cols() { return cols; }
    /** Elements between the starts of consecutive rows. */
    public int rowStride() { return rowStride; }
    /** For views: the tensor whose storage this one aliases; otherwise null. */
    public Tensor base() { return base; }
    /** For views: element offset of [0, 0] inside the base's storage. */
    public long viewOffset() { return viewOffset; }
    /** For weights: the checkpoint tensor name; for inputs and externals: their name. */
    public String source() { return source; }
    /**
     * For weights: the checkpoint tensors whose bytes it holds, in order (just source() unless
     * stacked); empty for every other kind.
     */
    public List<String> parts() { return parts != null ? parts : kind == Kind.WEIGHT ? List.of(source) : List.of(); }

    /** For constants: the values, row-major. */
    public float[] constant() { return constant; }
    public String name() { return name; }
    void rename(String name) { this.name = name; }

    /** The tensor that owns the storage (itself unless a view). */
    public Tensor storage() { return base == null ? this : base; }

    public boolean contiguous() { return rowStride == cols; }

    public long elementCount() { return (long) rows * cols; }

    public String shapeString() { return "[" + rows + ", " + cols + "]"; }

    @Override public String toString() { return "'" + name + "' " + dtype + shapeString(); }
}
