// Derives a Hugging Face BERT config.json from an imported ONNX export's tensor shapes and graph constants.
package dev.strata.loader.onnx;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.loader.TensorInfo;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes come from the embeddings and layer-0 shapes; the head count from the Reshape that splits heads
 * ({@code [batch, seq, heads, headDim]}); layer_norm_eps from a LayerNormalization node or the constant added
 * under the Sqrt of a decomposed LayerNorm, else BERT's 1e-12.
 */
final class BertOnnxConfig {

    static final double DEFAULT_EPS = 1e-12;

    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long UNKNOWN = Long.MIN_VALUE;

    private BertOnnxConfig() {
    }

    static ObjectNode derive(BertOnnxWeights w, int fallbackHeads) throws OnnxException {
        String where = w.file().path().toString();
        TensorInfo word = require(w, "embeddings.word_embeddings.weight", where);
        long hidden = word.dim(1);
        TensorInfo pos = require(w, "embeddings.position_embeddings.weight", where);
        checkDim(pos, 1, hidden, where);
        int layers = layerCount(w, where);
        TensorInfo inter = require(w, "encoder.layer.0.intermediate.dense.weight", where);
        boolean inOut = w.transposed(inter.name());
        checkDim(inter, inOut ? 0 : 1, hidden, where);
        long intermediate = inter.dim(inOut ? 1 : 0);
        OptionalInt graphHeads = headsFromGraph(w.file(), hidden);
        int heads = graphHeads.orElse(fallbackHeads);
        if (heads <= 0 || hidden % heads != 0) {
            throw new OnnxException(where + ": " + heads + " attention heads do not divide hidden_size " + hidden
                    + (graphHeads.isPresent() ? " (from the graph)" : " (fallback; the graph gives none)"));
        }
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.putArray("architectures").add("BertModel");
        c.put("model_type", "bert");
        c.put("hidden_size", hidden);
        c.put("num_hidden_layers", layers);
        c.put("num_attention_heads", heads);
        c.put("intermediate_size", intermediate);
        c.put("vocab_size", word.dim(0));
        c.put("max_position_embeddings", pos.dim(0));
        if (w.contains("embeddings.token_type_embeddings.weight")) {
            TensorInfo type = w.info("embeddings.token_type_embeddings.weight");
            checkDim(type, 1, hidden, where);
            c.put("type_vocab_size", type.dim(0));
        }
        c.put("layer_norm_eps", layerNormEps(w.file()));
        c.put("hidden_act", "gelu");
        c.put("pad_token_id", 0);
        return c;
    }

    private static TensorInfo require(BertOnnxWeights w, String name, String where) throws OnnxException {
        if (!w.contains(name)) {
            throw new OnnxException(where + ": missing tensor '" + name + "'; expected a BERT-family export");
        }
        TensorInfo t = w.info(name);
        if (t.rank() != 2) {
            throw new OnnxException(where + ": tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + "; expected rank 2");
        }
        return t;
    }

    private static void checkDim(TensorInfo t, int axis, long expected, String where) throws OnnxException {
        if (t.rank() <= axis || t.dim(axis) != expected) {
            throw new OnnxException(where + ": tensor '" + t.name() + "' has shape " + Arrays.toString(t.shape())
                    + "; expected dimension " + axis + " to be hidden_size " + expected);
        }
    }

    private static int layerCount(BertOnnxWeights w, String where) throws OnnxException {
        int n = 0;
        for (String name : w.names()) {
            Matcher m = LAYER.matcher(name);
            if (m.find()) {
                n = Math.max(n, Math.addExact(Integer.parseInt(m.group(1)), 1));
            }
        }
        for (int i = 0; i < n; i++) {
            require(w, "encoder.layer." + i + ".attention.self.query.weight", where);
        }
        if (n == 0) {
            throw new OnnxException(where + ": no encoder.layer.N tensors; expected a BERT-family export");
        }
        return n;
    }

    /** Heads from Reshape shapes {@code [.., .., heads, headDim]} with heads × headDim = hidden. */
    static OptionalInt headsFromGraph(OnnxFile f, long hidden) throws OnnxException {
        Map<String, OnnxNode> producers = producers(f);
        Set<Long> found = new LinkedHashSet<>();
        for (OnnxNode n : f.nodes()) {
            if (!n.opType().equals("Reshape") || n.inputs().size() < 2) {
                continue;
            }
            long[] s = shapeValue(f, producers, n.inputs().get(1));
            if (s != null && s.length == 4 && s[2] > 0 && s[3] > 0 && s[2] <= hidden && s[3] <= hidden
                    && s[2] * s[3] == hidden) {
                found.add(s[2]);
            }
        }
        if (found.size() > 1) {
            throw new OnnxException(f.path() + ": Reshape nodes give conflicting attention head counts " + found);
        }
        return found.isEmpty() ? OptionalInt.empty() : OptionalInt.of(found.iterator().next().intValue());
    }

    /** A shape operand's values, UNKNOWN for an Unsqueezed runtime dimension; null if not resolvable. */
    private static long[] shapeValue(OnnxFile f, Map<String, OnnxNode> producers, String name) {
        long[] direct = constant(f, producers, name);
        OnnxNode p = producers.get(name);
        if (direct != null || p == null || !p.opType().equals("Concat")) {
            return direct;
        }
        long[] out = new long[0];
        for (String in : p.inputs()) {
            long[] part = constant(f, producers, in);
            OnnxNode q = producers.get(in);
            if (part == null && q != null && q.opType().equals("Unsqueeze")) {
                part = new long[] {UNKNOWN};
            }
            if (part == null) {
                return null;
            }
            long[] joined = Arrays.copyOf(out, out.length + part.length);
            System.arraycopy(part, 0, joined, out.length, part.length);
            out = joined;
        }
        return out;
    }

    private static long[] constant(OnnxFile f, Map<String, OnnxNode> producers, String name) {
        OnnxTensor t = constantTensor(f, producers, name);
        return t == null ? null : t.integers();
    }

    private static OnnxTensor constantTensor(OnnxFile f, Map<String, OnnxNode> producers, String name) {
        if (f.contains(name)) {
            return f.initializer(name);
        }
        OnnxNode p = producers.get(name);
        OnnxAttribute value = p != null && p.opType().equals("Constant") ? p.attribute("value") : null;
        return value == null ? null : value.tensor();
    }

    /** LayerNorm epsilon from the graph, else {@link #DEFAULT_EPS}. */
    static double layerNormEps(OnnxFile f) throws OnnxException {
        Map<String, OnnxNode> producers = producers(f);
        Set<Float> found = new LinkedHashSet<>();
        for (OnnxNode n : f.nodes()) {
            if (n.opType().equals("LayerNormalization")) {
                OnnxAttribute eps = n.attribute("epsilon");
                found.add(eps == null ? 1e-5f : eps.f());
            } else if (n.opType().equals("Sqrt") && n.inputs().size() == 1) {
                OnnxNode add = producers.get(n.inputs().getFirst());
                if (add != null && add.opType().equals("Add")) {
                    for (String in : add.inputs()) {
                        OnnxTensor t = constantTensor(f, producers, in);
                        if (t != null && t.type() == OnnxDataType.FLOAT && t.elementCount() == 1) {
                            found.add(t.data().get(F32_LE, 0));
                        }
                    }
                }
            }
        }
        if (found.size() > 1) {
            throw new OnnxException(f.path() + ": LayerNorms use different epsilons " + found);
        }
        return found.isEmpty() ? DEFAULT_EPS : Double.parseDouble(Float.toString(found.iterator().next()));
    }

    private static Map<String, OnnxNode> producers(OnnxFile f) {
        Map<String, OnnxNode> out = new HashMap<>();
        for (OnnxNode n : f.nodes()) {
            n.outputs().forEach(o -> out.put(o, n));
        }
        return out;
    }
}
