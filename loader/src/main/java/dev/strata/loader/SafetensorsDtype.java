// Element types of the safetensors format, with their size in bytes.
package dev.strata.loader;

import java.util.Arrays;
import java.util.stream.Collectors;

public enum SafetensorsDtype {
    F64(8), F32(4), F16(2), BF16(2),
    I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1),
    F8_E4M3(1), F8_E5M2(1);

    private final int byteSize;

    SafetensorsDtype(int byteSize) {
        this.byteSize = byteSize;
    }

    public int byteSize() {
        return byteSize;
    }

    /** The dtype spelled {@code name} in a safetensors header, e.g. "BF16". */
    public static SafetensorsDtype parse(String name) {
        for (SafetensorsDtype d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown safetensors dtype '" + name + "'; expected one of "
                + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")));
    }
}
