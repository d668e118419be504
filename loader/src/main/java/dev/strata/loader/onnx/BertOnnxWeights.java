// A BERT-family ONNX export's weights under Hugging Face BertModel names, mapped through the graph, zero-copy.
package dev.strata.loader.onnx;

import dev.strata.loader.TensorInfo;
import dev.strata.loader.WeightSource;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Names are BertModel's without a prefix ({@code encoder.layer.0.attention.self.query.weight}); a leading
 * {@code bert.} or other prefix in the export is dropped. Initializers already named after a module keep that
 * name. Linear weights, exported as anonymous {@code MatMul} initializers ({@code onnx::MatMul_787}), are named
 * after the bias that the {@code Add} following their {@code MatMul} adds.
 *
 * <p><b>Layout:</b> every Linear weight is exposed as stored, {@code [in, out]} (the graph computes x·W), which is
 * the transpose of Hugging Face's {@code [out, in]}; {@link #info} reports that stored shape and
 * {@link #transposed} is true for exactly these names. All other tensors have Hugging Face's layout. The
 * {@code embeddings.position_ids} buffer is not exposed (current transformers does not save it either).
 */
public final class BertOnnxWeights implements WeightSource {

    private static final List<String> HF_ROOTS = List.of("embeddings.", "encoder.", "pooler.");
    private static final Set<String> BUFFERS = Set.of("embeddings.position_ids");

    private final OnnxFile file;
    private final Map<String, OnnxTensor> byName;
    private final Map<String, TensorInfo> infos;
    private final Set<String> transposed;

    private BertOnnxWeights(OnnxFile file, Map<String, OnnxTensor> byName, Set<String> transposed) {
        this.file = file;
        this.byName = Collections.unmodifiableMap(byName);
        this.transposed = Set.copyOf(transposed);
        Map<String, TensorInfo> infos = new LinkedHashMap<>();
        byName.forEach((hf, t) -> {
            TensorInfo i = t.info();
            infos.put(hf, new TensorInfo(hf, i.dtype(), i.shape(), i.dataOffset(), i.byteLength()));
        });
        this.infos = Collections.unmodifiableMap(infos);
    }

    /** Opens and maps {@code onnx}; the result owns the file. */
    public static BertOnnxWeights open(Path onnx) throws IOException {
        OnnxFile f = OnnxFile.open(onnx);
        try {
            return of(f);
        } catch (IOException | RuntimeException ex) {
            f.close();
            throw ex;
        }
    }

    /** Takes ownership of {@code file}: closing the result closes it. On failure the caller still owns it. */
    public static BertOnnxWeights of(OnnxFile file) throws OnnxException {
        OnnxGraph g = file.graph();
        Map<String, OnnxTensor> inits = g.initializers();
        Map<String, String> weightForBias = new HashMap<>();
        Map<String, String> matmulWeightName = linearWeights(file, weightForBias);
        Map<String, OnnxTensor> byName = new LinkedHashMap<>();
        Map<String, String> origin = new HashMap<>();
        for (OnnxTensor t : inits.values()) {
            if (matmulWeightName.containsKey(t.name())) {
                continue;
            }
            String hf = hfName(t.name());
            if (hf == null || BUFFERS.contains(hf)) {
                continue;
            }
            String weight = weightForBias.get(hf);
            if (weight != null) {
                put(file, byName, origin, matmulWeightName.get(weight), inits.get(weight), weight);
            }
            put(file, byName, origin, hf, t, t.name());
        }
        for (Map.Entry<String, String> e : matmulWeightName.entrySet()) {
            if (!byName.containsKey(e.getValue())) {
                put(file, byName, origin, e.getValue(), inits.get(e.getKey()), e.getKey());
            }
        }
        if (byName.isEmpty()) {
            throw new OnnxException(file.path() + ": no initializer is named after a BertModel module ("
                    + String.join(", ", HF_ROOTS) + "...); expected a BERT-family export");
        }
        return new BertOnnxWeights(file, byName, new HashSet<>(matmulWeightName.values()));
    }

    /**
     * MatMul weight initializer -> Hugging Face name; fills {@code weightForBias} (bias HF name -> ONNX name of
     * the weight) so that each weight can be listed before its bias.
     */
    private static Map<String, String> linearWeights(OnnxFile file, Map<String, String> weightForBias)
            throws OnnxException {
        OnnxGraph g = file.graph();
        Map<String, List<OnnxNode>> consumers = new HashMap<>();
        for (OnnxNode n : g.nodes()) {
            for (String in : n.inputs()) {
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
        }
        Map<String, String> out = new LinkedHashMap<>();
        Map<String, String> byHf = new HashMap<>();
        for (OnnxNode mm : g.nodes()) {
            if (!mm.opType().equals("MatMul") || mm.inputs().size() != 2 || mm.outputs().isEmpty()) {
                continue;
            }
            String w = mm.inputs().get(1);
            OnnxTensor t = g.initializers().get(w);
            if (t == null) {
                if (g.initializers().containsKey(mm.inputs().get(0))) {
                    throw new OnnxException(file.path() + ": MatMul node '" + mm.name() + "' has initializer '"
                            + mm.inputs().get(0) + "' as its first input; expected activations x weight");
                }
                continue;
            }
            if (t.rank() != 2) {
                throw new OnnxException(file.path() + ": MatMul weight '" + w + "' (node '" + mm.name()
                        + "') has shape " + Arrays.toString(t.shape()) + "; expected [in, out]");
            }
            String bias = biasOf(file, consumers.getOrDefault(mm.outputs().getFirst(), List.of()));
            if (bias == null) {
                throw new OnnxException(file.path() + ": MatMul weight '" + w + "' (node '" + mm.name()
                        + "') cannot be mapped: its output '" + mm.outputs().getFirst()
                        + "' feeds no Add with a '*.bias' initializer named after a BertModel module");
            }
            String hf = bias.substring(0, bias.length() - ".bias".length()) + ".weight";
            String prior = byHf.putIfAbsent(hf, w);
            if (prior != null && !prior.equals(w)) {
                throw new OnnxException(file.path() + ": MatMul weights '" + prior + "' and '" + w
                        + "' both map to '" + hf + "'");
            }
            String other = out.putIfAbsent(w, hf);
            if (other != null && !other.equals(hf)) {
                throw new OnnxException(file.path() + ": MatMul weight '" + w + "' feeds two Linear layers, '"
                        + other + "' and '" + hf + "'; expected one weight per layer");
            }
            weightForBias.put(bias, w);
        }
        return out;
    }

    /** HF name of the one bias initializer that an Add among {@code adds} adds; null if none. */
    private static String biasOf(OnnxFile file, List<OnnxNode> adds) throws OnnxException {
        OnnxGraph g = file.graph();
        String found = null;
        for (OnnxNode add : adds) {
            if (!add.opType().equals("Add")) {
                continue;
            }
            for (String in : add.inputs()) {
                String hf = g.initializers().containsKey(in) ? hfName(in) : null;
                if (hf != null && hf.endsWith(".bias")) {
                    if (found != null && !found.equals(hf)) {
                        throw new OnnxException(file.path() + ": a MatMul output feeds Adds of two biases, '" + found + "' and '"
                                + hf + "'; expected one");
                    }
                    found = hf;
                }
            }
        }
        return found;
    }

    private static void put(OnnxFile file, Map<String, OnnxTensor> byName, Map<String, String> origin, String hf,
                            OnnxTensor t, String onnxName) throws OnnxException {
        String prior = origin.putIfAbsent(hf, onnxName);
        if (prior != null && !prior.equals(onnxName)) {
            throw new OnnxException(file.path() + ": initializers '" + prior + "' and '" + onnxName
                    + "' both map to '" + hf + "'");
        }
        byName.put(hf, t);
    }

    /** {@code onnxName} without any prefix before its BertModel module root, or null if it names no module. */
    static String hfName(String onnxName) {
        int best = -1;
        for (String root : HF_ROOTS) {
            for (int i = onnxName.indexOf(root); i >= 0; i = onnxName.indexOf(root, i + 1)) {
                if (i == 0 || onnxName.charAt(i - 1) == '.') {
                    best = best < 0 ? i : Math.min(best, i);
                    break;
                }
            }
        }
        return best < 0 ? null : onnxName.substring(best);
    }

    public OnnxFile file() {
        return file;
    }

    /** Always true: this importer exposes every Linear weight as stored, {@code [in, out]}; see {@link #transposed}. */
    public boolean linearWeightsTransposed() {
        return true;
    }

    /** Whether {@code name} is a Linear weight stored {@code [in, out]}, the transpose of Hugging Face's layout. */
    public boolean transposed(String name) {
        tensor(name);
        return transposed.contains(name);
    }

    /** Hugging Face name -> initializer name in the ONNX file, in {@link #names} order. */
    public Map<String, String> onnxNames() {
        Map<String, String> out = new LinkedHashMap<>();
        byName.forEach((hf, t) -> out.put(hf, t.name()));
        return out;
    }

    /** Attention heads read from the graph's Reshape shapes ([.., .., heads, headDim]); empty if none says. */
    public OptionalInt attentionHeads() throws OnnxException {
        return BertOnnxConfig.headsFromGraph(file, info("embeddings.word_embeddings.weight").dim(1));
    }

    /**
     * A Hugging Face config.json for this model, derived from the tensor shapes and graph; {@code fallbackHeads}
     * is used only when the graph does not give the number of attention heads.
     */
    public String configJson(int fallbackHeads) throws OnnxException {
        return BertOnnxConfig.derive(this, fallbackHeads).toPrettyString();
    }

    @Override
    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        tensor(name);
        return infos.get(name);
    }

    @Override
    public MemorySegment data(String name) {
        return tensor(name).data();
    }

    /** Hugging Face names: file order, each Linear weight just before its bias. */
    @Override
    public Set<String> names() {
        return byName.keySet();
    }


    private OnnxTensor tensor(String name) {
        OnnxTensor t = byName.get(name);
        if (t == null) {
            throw new NoSuchElementException("tensor '" + name + "' not found in " + file.path() + " ("
                    + byName.size() + " tensors imported under Hugging Face names)");
        }
        return t;
    }

    @Override
    public void close() {
        file.close();
    }
}
