// The parts of an ONNX ModelProto a weight importer needs: the main graph's nodes, initializers and signature.
package dev.strata.loader.onnx;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * @param initializers by name, in file order
 * @param inputs       graph input names (GraphProto field 11), which may include initializer names
 * @param opsetVersion version of the default ("" or "ai.onnx") operator set; 0 when the model imports none
 */
public record OnnxGraph(long irVersion, String producerName, long opsetVersion, List<OnnxNode> nodes,
                        Map<String, OnnxTensor> initializers, List<String> inputs, List<String> outputs) {

    public OnnxGraph {
        nodes = List.copyOf(nodes);
        initializers = Collections.unmodifiableMap(new LinkedHashMap<>(initializers));
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }
}
