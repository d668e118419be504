// Builds graphs: each method checks shapes and dtypes, records one op and returns its output.
// Builders never compute. Shape errors are raised here, naming the tensors and both shapes.
package dev.strata.engine.graph;

import dev.strata.engine.ops.*;
import dev.strata.engine.tensor.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public final class GraphBuilder {
    private final WeightCatalog catalog;
    private final List<Node> nodes = new ArrayList<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final Map<String, Tensor> inputs = new LinkedHashMap<>();
    private final Map<String, Tensor> weights = new LinkedHashMap<>();
    private final List<Tensor> constants = new ArrayList<>();
    private final Map<String, Tensor> outputs = new LinkedHashMap<>();

    public GraphBuilder(WeightCatalog catalog) { this.catalog = catalog; }

    private Tensor add(Tensor.Kind kind, DType dtype, int rows, int cols, Tensor base, long viewOffset, int rowStride,
                       String source, float[] constant, String name) {
        return add(kind, dtype, rows, cols, base, viewOffset, rowStride, source, constant, null, name);
    }

    private Tensor add(Tensor.Kind kind, DType dtype, int rows, int cols, Tensor base, long viewOffset, int rowStride,
                       String source, float[] constant, List<String> parts, String name) {
        Tensor t = new Tensor(tensors.size(), kind, dtype, rows, cols, base, viewOffset, rowStride, source, constant, parts, name);
        tensors.add(t);
        return t;
    }

    private Tensor activation(DType dtype, int rows, int cols, String name) {
        return add(Tensor.Kind.ACTIVATION, dtype, rows, cols, null, 0, cols, null, null, name);
    }

    private Tensor record(Op op, Tensor out) {
        nodes.add(new Node(op, out));
        return out;
    }

    // ---- leaves -------------------------------------------------------------------------

    /** A runtime input of the given shape (token ids, positions, masks...). */
    public Tensor input(String name, DType dtype, int rows, int cols) {
        if (inputs.containsKey(name)) throw new IllegalArgumentException("input '" + name + "' declared twice");
        Tensor t = add(Tensor.Kind.INPUT, dtype, rows, cols, null, 0, cols, name, null, name);
        inputs.put(name, t);
        return t;
    }

    /**
     * A tensor computed elsewhere and left on the device (another graph's output, e.g. the
     * encoder's cross-attention K/V): not planned here; the executor must be given its location
     * with {@code GraphExecutor.bind} before a run.
     */
    public Tensor external(String name, DType dtype, int rows, int cols) {
        for (Tensor t : tensors) {
            if (t.kind() == Tensor.Kind.EXTERNAL && name.equals(t.source())) throw new IllegalArgumentException("external '" + name + "' declared twice");
        }
        return add(Tensor.Kind.EXTERNAL, dtype, rows, cols, null, 0, cols, name, null, name);
    }

    /** A checkpoint weight, checked against the expected [rows, cols] (1-D weights count as [1, n]). */
    public Tensor weight(String name, int rows, int cols) {
        Tensor known = known(name, rows, cols);
        if (known != null) return known;
        Tensor t = add(Tensor.Kind.WEIGHT, checkedEntry(name, rows, cols).dtype(), rows, cols, null, 0, cols, name, null, name);
        weights.put(name, t);
        return t;
    }

    /**
     * Checkpoint weights [rows[i], cols] stacked along rows into one [Σ rows, cols] weight, held
     * in one device buffer with the parts' bytes in order: Llama's q/k/v projections as one
     * projection whose output columns are q, then k, then v. The parts must share one dtype.
     */
    public Tensor stackedRows(List<String> names, int[] rows, int cols) {
        requireParts(names, rows.length, "row counts");
        int[][] shapes = new int[names.size()][];
        int total = 0;
        for (int i = 0; i < shapes.length; i++) {
            shapes[i] = new int[] {rows[i], cols};
            total = Math.addExact(total, rows[i]);
        }
        return stacked(names, shapes, total, cols);
    }

    /** 1-D checkpoint weights [lengths[i]] (biases) concatenated into one [1, Σ lengths] weight, as stackedRows. */
    public Tensor concatenated(List<String> names, int[] lengths) {
        requireParts(names, lengths.length, "lengths");
        int[][] shapes = new int[names.size()][];
        int total = 0;
        for (int i = 0; i < shapes.length; i++) {
            shapes[i] = new int[] {1, lengths[i]};
            total = Math.addExact(total, lengths[i]);
        }
        return stacked(names, shapes, 1, total);
    }

    private static void requireParts(List<String> names, int sizes, String what) {
        if (names.size() != sizes || names.size() < 2) {
            throw new IllegalArgumentException("stacked weight: " + names.size() + " names and " + sizes + " " + what + "; expected two or more of each");
        }
    }

    /** The parts (each [shapes[i][0], shapes[i][1]] in the checkpoint) as one [rows, cols] weight. */
    private Tensor stacked(List<String> names, int[][] shapes, int rows, int cols) {
        String source = "stack(" + String.join(", ", names) + ")";
        Tensor known = known(source, rows, cols);
        if (known != null) return known;
        DType dtype = null;
        for (int i = 0; i < shapes.length; i++) {
            WeightCatalog.Entry e = checkedEntry(names.get(i), shapes[i][0], shapes[i][1]);
            if (dtype != null && e.dtype() != dtype) {
                throw new ShapeException("stacked weight " + source + ": '" + names.get(i) + "' has dtype " + e.dtype() + "; expected "
                        + dtype + " as '" + names.get(0) + "'");
            }
            dtype = e.dtype();
        }
        Tensor t = add(Tensor.Kind.WEIGHT, dtype, rows, cols, null, 0, cols, source, null, List.copyOf(names), source);
        weights.put(source, t);
        return t;
    }

    /** The weight already declared under this name (checked against [rows, cols]), or null. */
    private Tensor known(String name, int rows, int cols) {
        Tensor known = weights.get(name);
        if (known != null && (known.rows() != rows || known.cols() != cols)) {
            throw new ShapeException("weight '" + name + "' used as [" + rows + ", " + cols + "] and as " + known.shapeString());
        }
        return known;
    }

    /** The catalog's entry for a weight used as [rows, cols], with its shape and dtype checked. */
    private WeightCatalog.Entry checkedEntry(String name, int rows, int cols) {
        WeightCatalog.Entry e = catalog.find(name);
        if (e == null) throw new ShapeException("model has no tensor '" + name + "'; expected shape [" + rows + ", " + cols + "]");
        long[] s = e.shape();
        boolean ok = (s.length == 2 && s[0] == rows && s[1] == cols) || (s.length == 1 && rows == 1 && s[0] == cols);
        if (!ok) {
            String expected = rows == 1 ? "[" + cols + "]" : "[" + rows + ", " + cols + "]";
            throw new ShapeException("tensor '" + name + "' has shape " + Arrays.toString(s) + "; expected " + expected);
        }
        if (e.dtype() != DType.F32 && e.dtype() != DType.F16 && e.dtype() != DType.BF16) {
            throw new ShapeException("tensor '" + name + "' has dtype " + e.dtype() + "; expected F32, F16 or BF16");
        }
        return e;
    }

    /** The dtype of the checkpoint's tensor of this name, or null when it has none. */
    public DType weightDtype(String name) {
        WeightCatalog.Entry e = catalog.find(name);
        return e == null ? null : e.dtype();
    }

    /** Whether the checkpoint has a tensor of this name (for optional biases, tied heads). */
    public boolean hasWeight(String name) { return catalog.find(name) != null; }

    /** A small F32 constant computed at build time (RoPE frequencies), uploaded with the graph. */
    public Tensor constant(String name, int rows, int cols, float[] values) {
        if (values.length != rows * cols) throw new ShapeException("constant '" + name + "' has " + values.length + " values; expected " + rows * cols);
        Tensor t = add(Tensor.Kind.CONSTANT, DType.F32, rows, cols, null, 0, cols, name, values.clone(), name);
        constants.add(t);
        return t;
    }

    /** Columns [from, from+count) of x, without a copy. */
    public Tensor columns(Tensor x, int from, int count, String name) {
        if (from < 0 || count <= 0 || from + count > x.cols()) {
            throw new ShapeException("columns [" + from + ", " + (from + count) + ") of " + x + " are out of range");
        }
        Tensor base = x.storage();
        return add(Tensor.Kind.VIEW, x.dtype(), x.rows(), count, base, x.viewOffset() + from, x.rowStride(), null, null, name);
    }

    // ---- ops ----------------------------------------------------------------------------

    public Tensor embedding(Tensor table, Tensor ids, String name) {
        if (!table.dtype().isFloating()) throw new ShapeException("embedding table " + table + " has dtype " + table.dtype() + "; expected F32, F16 or BF16");
        requireDtype(ids, DType.I32, "embedding ids");
        requireCols(ids, 1, "embedding ids");
        return record(new Embedding(table, ids), activation(DType.F32, ids.rows(), table.cols(), name));
    }

    public Tensor matmul(Tensor x, Tensor w, Tensor bias, WeightLayout layout, String name) {
        return matmul(new MatMul(x, w, bias, layout), name);
    }

    /** A matmul with its optional fused parts (MatMul's prenorm, gate, activation, rotary and residual), checked as one op. */
    public Tensor matmul(MatMul mm, String name) {
        Tensor x = mm.x(), w = mm.w(), bias = mm.bias();
        WeightLayout layout = mm.layout();
        requireF32(x, "matmul input");
        int k = layout == WeightLayout.OUT_IN ? w.cols() : w.rows();
        int n = layout == WeightLayout.OUT_IN ? w.rows() : w.cols();
        if (x.cols() != k) {
            throw new ShapeException("matmul " + name + ": input " + x + " has " + x.cols() + " columns; weight " + w + " (" + layout + ") expects " + k);
        }
        if (bias != null && (bias.rows() != 1 || bias.cols() != n)) {
            throw new ShapeException("matmul " + name + ": bias " + bias + "; expected [1, " + n + "]");
        }
        if (mm.prenorm() != null) requireRowVector(mm.prenorm().weight(), k, "matmul " + name + " prenorm weight");
        if (mm.gate() != null) {
            Tensor up = mm.gate().up();
            if (up.dtype() != w.dtype() || up.rows() != w.rows() || up.cols() != w.cols()) {
                throw new ShapeException("matmul " + name + ": gate's up weight " + up + " must match weight " + w + " in shape and dtype");
            }
            if (mm.gate().upBias() != null) requireRowVector(mm.gate().upBias(), n, "matmul " + name + " up bias");
        }
        if (mm.gate() != null && mm.activation() != null) {
            throw new ShapeException("matmul " + name + ": a gate (" + mm.gate().act() + ") and an activation (" + mm.activation()
                    + ") together; the gate applies its own activation");
        }
        if (mm.rotary() != null) {
            MatMul.Rotary r = mm.rotary();
            requireRope("output [" + x.rows() + ", " + n + "]", x.rows(), n, true, r.positions(), r.invFreq(), r.heads(), r.headDim(), r.rotaryDims(),
                    "matmul " + name);
        }
        if (mm.residual() != null) {
            requireF32(mm.residual(), "matmul " + name + " residual");
            requireShape(mm.residual(), x.rows(), n, "matmul " + name + " residual");
        }
        return record(mm, activation(DType.F32, x.rows(), n, name));
    }

    public Tensor rmsNorm(Tensor x, Tensor weight, float eps, String name) {
        requireF32(x, "rms_norm input");
        requireRowVector(weight, x.cols(), "rms_norm weight");
        return record(new RmsNorm(x, weight, eps), activation(DType.F32, x.rows(), x.cols(), name));
    }

    public Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, String name) {
        requireF32(x, "layer_norm input");
        requireRowVector(weight, x.cols(), "layer_norm weight");
        if (bias != null) requireRowVector(bias, x.cols(), "layer_norm bias");
        return record(new LayerNorm(x, weight, bias, eps), activation(DType.F32, x.rows(), x.cols(), name));
    }

    public Tensor rope(Tensor x, Tensor positions, Tensor invFreq, int heads, int headDim, int rotaryDims, String name) {
        requireF32(x, "rope input");
        requireRope("input " + x, x.rows(), x.cols(), false, positions, invFreq, heads, headDim, rotaryDims, "rope " + name);
        return record(new Rope(x, positions, invFreq, heads, headDim, rotaryDims), activation(DType.F32, x.rows(), x.cols(), name));
    }

    public Tensor attention(Tensor q, Tensor k, Tensor v, Tensor past, Tensor slots, Tensor mask, AttentionSpec spec, String name) {
        return attention(q, k, v, past, slots, mask, null, spec, name);
    }

    /** Attention with an additive per-head position bias [batch*seqLen*keyCols, heads] (see {@link Attention}); bias may be null. */
    public Tensor attention(Tensor q, Tensor k, Tensor v, Tensor past, Tensor slots, Tensor mask, Tensor bias, AttentionSpec spec, String name) {
        int rows = spec.batch() * spec.seqLen(), kvRows = spec.batch() * spec.kvLen();
        requireF32(q, "attention q");
        requireF32(k, "attention k");
        requireF32(v, "attention v");
        requireShape(q, rows, spec.heads() * spec.headDim(), "attention q");
        requireShape(k, kvRows, spec.kvHeads() * spec.headDim(), "attention k");
        requireShape(v, kvRows, spec.kvHeads() * spec.headDim(), "attention v");
        requireShape(past, spec.batch(), 1, "attention past lengths");
        requireShape(slots, spec.batch(), 1, "attention cache slots");
        requireDtype(past, DType.I32, "attention past lengths");
        requireDtype(slots, DType.I32, "attention cache slots");
        if (mask != null) {
            requireF32(mask, "attention mask");
            if (mask.rows() != spec.batch()) throw new ShapeException("attention mask " + mask + "; expected " + spec.batch() + " rows");
        }
        if (bias != null) {
            requireF32(bias, "attention position bias");
            if (bias.cols() != spec.heads() || bias.rows() % rows != 0) {
                throw new ShapeException("attention position bias " + bias + "; expected [" + rows + "·keyCols, " + spec.heads() + "]");
            }
            int keyCols = bias.rows() / rows;
            if (!spec.cached() && keyCols != spec.kvLen()) {
                throw new ShapeException("attention position bias " + bias + "; expected [" + rows + "·" + spec.kvLen() + ", " + spec.heads() + "] (one row per query and key)");
            }
        }
        return record(new Attention(q, k, v, past, slots, mask, bias, spec), activation(DType.F32, rows, q.cols(), name));
    }

    public Tensor softmax(Tensor x, String name) {
        requireF32(x, "softmax input");
        return record(new Softmax(x), activation(DType.F32, x.rows(), x.cols(), name));
    }

    public Tensor activate(Tensor x, Activation act, String name) {
        requireF32(x, "activation input");
        return record(new Activate(x, act), activation(DType.F32, x.rows(), x.cols(), name));
    }

    public Tensor gatedActivate(Tensor gate, Tensor up, Activation act, String name) {
        requireF32(gate, "gated activation gate");
        requireF32(up, "gated activation up");
        requireShape(up, gate.rows(), gate.cols(), "gated activation up");
        return record(new GatedActivate(gate, up, act), activation(DType.F32, gate.rows(), gate.cols(), name));
    }

    public Tensor add(Tensor a, Tensor b, String name) {
        requireF32(a, "add input");
        requireF32(b, "add input");
        if (!(b.cols() == a.cols() && (b.rows() == a.rows() || b.rows() == 1))) {
            throw new ShapeException("add " + name + ": " + a + " + " + b + "; expected the second as " + a.shapeString() + " or [1, " + a.cols() + "]");
        }
        return record(new Add(a, b), activation(DType.F32, a.rows(), a.cols(), name));
    }

    public Tensor scale(Tensor x, float factor, String name) {
        requireF32(x, "scale input");
        return record(new Scale(x, factor), activation(DType.F32, x.rows(), x.cols(), name));
    }

    public Tensor argmax(Tensor x, String name) {
        requireF32(x, "argmax input");
        return record(new Argmax(x), activation(DType.I32, x.rows(), 1, name));
    }

    /** One token per row of logits [m, vocab] drawn under params I32 [m, Sample.PARAMS] (see Sample). */
    public Tensor sample(Tensor logits, Tensor params, String name) {
        requireF32(logits, "sample logits");
        if (params.dtype() != DType.I32 || params.rows() != logits.rows() || params.cols() != Sample.PARAMS) {
            throw new ShapeException("sample " + name + ": params " + params + " for logits " + logits + "; expected I32 [" + logits.rows()
                    + ", " + Sample.PARAMS + "]");
        }
        return record(new Sample(logits, params), activation(DType.I32, logits.rows(), 1, name));
    }

    // ---- naming and outputs --------------------------------------------------------------

    /** Names a tensor by role and layer (llama.cpp's cb(cur, "attn_norm", il)): "attn_norm-3". */
    public Tensor name(Tensor t, String role, int layer) {
        t.rename(layer < 0 ? role : role + "-" + layer);
        return t;
    }

    /** Marks a tensor as a graph output: kept alive to the end and readable after a run. */
    public Tensor output(String name, Tensor t) {
        if (outputs.containsKey(name)) throw new IllegalArgumentException("output '" + name + "' declared twice");
        if (t.kind() != Tensor.Kind.ACTIVATION) throw new ShapeException("output '" + name + "' is a " + t.kind().name().toLowerCase(java.util.Locale.ROOT) + "; outputs must be activations computed by the graph");
        outputs.put(name, t);
        return t;
    }

    public Graph build() {
        return new Graph(nodes, inputs, List.copyOf(weights.values()), constants, outputs, tensors);
    }

    // ---- checks -------------------------------------------------------------------------

    /**
     * RoPE over rows × cols: heads × headDim columns (all of them, or with `leading` the first of at
     * least as many), I32 positions per row, rotaryDims / 2 inverse frequencies.
     */
    private static void requireRope(String subject, int rows, int cols, boolean leading, Tensor positions, Tensor invFreq, int heads, int headDim,
                                    int rotaryDims, String what) {
        requireDtype(positions, DType.I32, what + " positions");
        long rotated = (long) heads * headDim;
        if (heads <= 0 || headDim <= 0 || (leading ? cols < rotated : cols != rotated)) {
            throw new ShapeException(what + ": " + subject + "; expected " + (leading ? "at least " : "") + heads + " heads × " + headDim + " = "
                    + rotated + " columns");
        }
        if (positions.rows() != rows || positions.cols() != 1) throw new ShapeException(what + ": positions " + positions + "; expected [" + rows + ", 1]");
        if (rotaryDims <= 0 || rotaryDims > headDim || rotaryDims % 2 != 0) throw new ShapeException(what + ": rotary dims " + rotaryDims + " must be even and in (0, " + headDim + "]");
        if (invFreq.rows() != 1 || invFreq.cols() != rotaryDims / 2) throw new ShapeException(what + ": inverse frequencies " + invFreq + "; expected [1, " + rotaryDims / 2 + "]");
    }

    private static void requireF32(Tensor t, String what) { requireDtype(t, DType.F32, what); }

    private static void requireDtype(Tensor t, DType dtype, String what) {
        if (t.dtype() != dtype) throw new ShapeException(what + " " + t + " has dtype " + t.dtype() + "; expected " + dtype);
    }

    private static void requireCols(Tensor t, int cols, String what) {
        if (t.cols() != cols) throw new ShapeException(what + " " + t + "; expected " + cols + " column(s)");
    }

    private static void requireShape(Tensor t, int rows, int cols, String what) {
        if (t.rows() != rows || t.cols() != cols) throw new ShapeException(what + " " + t + "; expected [" + rows + ", " + cols + "]");
    }

    private static void requireRowVector(Tensor t, int cols, String what) {
        if (t.rows() != 1 || t.cols() != cols) throw new ShapeException(what + " " + t + "; expected [1, " + cols + "]");
    }
}
