// One NodeProto attribute, reduced to the scalar, integer-list and tensor kinds a weight importer reads.
package dev.strata.loader.onnx;

import java.util.Objects;

/**
 * @param type   AttributeProto.AttributeType code (1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 7 INTS, ...); 0 if absent
 * @param ints   the {@code ints} list (field 8); empty when absent
 * @param tensor the {@code t} value (field 5), or null
 */
public record OnnxAttribute(String name, int type, float f, long i, long[] ints, OnnxTensor tensor) {

    public static final int FLOAT = 1;
    public static final int INT = 2;
    public static final int TENSOR = 4;
    public static final int INTS = 7;

    public OnnxAttribute {
        Objects.requireNonNull(name, "name");
        ints = ints.clone();
    }

    @Override
    public long[] ints() {
        return ints.clone();
    }
}
