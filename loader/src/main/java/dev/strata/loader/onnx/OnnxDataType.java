// ONNX TensorProto.DataType codes this loader reads, each with the safetensors dtype of the same bytes.
package dev.strata.loader.onnx;

import dev.strata.loader.SafetensorsDtype;
import java.util.Arrays;
import java.util.stream.Collectors;

public enum OnnxDataType {
    FLOAT(1, SafetensorsDtype.F32),
    UINT8(2, SafetensorsDtype.U8),
    INT8(3, SafetensorsDtype.I8),
    INT16(5, SafetensorsDtype.I16),
    INT32(6, SafetensorsDtype.I32),
    INT64(7, SafetensorsDtype.I64),
    BOOL(9, SafetensorsDtype.BOOL),
    FLOAT16(10, SafetensorsDtype.F16),
    DOUBLE(11, SafetensorsDtype.F64),
    BFLOAT16(16, SafetensorsDtype.BF16),
    FLOAT8E4M3FN(17, SafetensorsDtype.F8_E4M3),
    FLOAT8E5M2(19, SafetensorsDtype.F8_E5M2);

    private final int code;
    private final SafetensorsDtype dtype;

    OnnxDataType(int code, SafetensorsDtype dtype) {
        this.code = code;
        this.dtype = dtype;
    }

    public int code() {
        return code;
    }

    public SafetensorsDtype dtype() {
        return dtype;
    }

    public int byteSize() {
        return dtype.byteSize();
    }

    /** The supported type with this code, or null; {@link #describe} names any code in an error. */
    public static OnnxDataType of(long code) {
        for (OnnxDataType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }

    /** Name of an ONNX data_type code as the ONNX spec spells it, supported or not. */
    public static String describe(long code) {
        OnnxDataType t = of(code);
        if (t != null) {
            return t + " (" + code + ")";
        }
        String name = switch ((int) Math.max(-1, Math.min(code, 1000))) {
            case 0 -> "UNDEFINED";
            case 4 -> "UINT16";
            case 8 -> "STRING";
            case 12 -> "UINT32";
            case 13 -> "UINT64";
            case 14 -> "COMPLEX64";
            case 15 -> "COMPLEX128";
            case 18 -> "FLOAT8E4M3FNUZ";
            case 20 -> "FLOAT8E5M2FNUZ";
            case 21 -> "UINT4";
            case 22 -> "INT4";
            case 23 -> "FLOAT4E2M1";
            default -> "unknown";
        };
        return name + " (" + code + ")";
    }

    public static String supportedList() {
        return Arrays.stream(values()).map(t -> t + "(" + t.code + ")").collect(Collectors.joining(", "));
    }
}
