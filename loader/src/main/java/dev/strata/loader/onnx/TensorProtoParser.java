// Parses and validates one TensorProto: shape, data type and byte length checked before any copy is allocated.
package dev.strata.loader.onnx;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code raw_data} stays a slice of the mapping; {@code float_data}, {@code int32_data} and {@code int64_data}
 * are decoded into {@code arena}. Segmented, external, string and {@code double_data}/{@code uint64_data}
 * tensors are rejected.
 */
final class TensorProtoParser {

    static final int MAX_RANK = 64;
    /** Typed values stored one field each (unpacked) beyond this count are refused; writers pack them. */
    static final int MAX_UNPACKED_VALUES = 1 << 20;


    private final ProtoReader r;
    private final MemorySegment mapping;
    private final List<Long> dims = new ArrayList<>();
    private final List<long[]> floatData = new ArrayList<>();
    private final List<long[]> int32Data = new ArrayList<>();
    private final List<long[]> int64Data = new ArrayList<>();
    private final List<String> unsupportedFields = new ArrayList<>();
    private String name = "";
    private long dataType;
    private long rawOffset = -1;
    private long rawLength;
    private long dataLocation;
    private boolean externalData;
    private int unpacked;

    private TensorProtoParser(ProtoReader r, MemorySegment mapping) {
        this.r = r;
        this.mapping = mapping;
    }

    /** Reads the TensorProto that {@code r} spans; {@code mapping} is the segment {@code r} reads. */
    static OnnxTensor parse(ProtoReader r, MemorySegment mapping, Arena arena) throws OnnxException {
        TensorProtoParser p = new TensorProtoParser(r, mapping);
        long start = r.position();
        p.readFields();
        return p.build(start, arena);
    }

    private void readFields() throws OnnxException {
        while (r.next()) {
            switch (r.field()) {
                case 1 -> readDims();
                case 2 -> {
                    r.expect(ProtoReader.VARINT, "data_type");
                    dataType = r.readVarint();
                }
                case 3 -> throw r.error(r.tagOffset(), "segmented tensors (TensorProto.segment) are not supported");
                case 4 -> typedRange(floatData, ProtoReader.I32, "float_data");
                case 5 -> typedRange(int32Data, ProtoReader.VARINT, "int32_data");
                case 6 -> unsupported("string_data");
                case 7 -> typedRange(int64Data, ProtoReader.VARINT, "int64_data");
                case 8 -> {
                    r.expect(ProtoReader.LEN, "name");
                    name = r.readString(OnnxFile.MAX_NAME_BYTES);
                }
                case 9 -> {
                    r.expect(ProtoReader.LEN, "raw_data");
                    rawOffset = r.readLengthDelimited();
                    rawLength = r.position() - rawOffset;
                }
                case 10 -> unsupported("double_data");
                case 11 -> unsupported("uint64_data");
                case 13 -> {
                    externalData = true;
                    r.skip();
                }
                case 14 -> {
                    r.expect(ProtoReader.VARINT, "data_location");
                    dataLocation = r.readVarint();
                }
                default -> r.skip();
            }
        }
    }

    private void readDims() throws OnnxException {
        if (r.wireType() == ProtoReader.LEN) {
            ProtoReader packed = r.readMessage();
            while (packed.position() < packed.end()) {
                addDim(packed.readVarint());
            }
        } else {
            r.expect(ProtoReader.VARINT, "dims");
            addDim(r.readVarint());
        }
    }

    private void addDim(long d) throws OnnxException {
        if (dims.size() == MAX_RANK) {
            throw r.error(r.tagOffset(), "tensor has more than " + MAX_RANK + " dims");
        }
        dims.add(d);
    }

    /** Records a packed payload {start, length, 1} or one unpacked value {start, length, 0}. */
    private void typedRange(List<long[]> into, int unpackedWireType, String what) throws OnnxException {
        if (r.wireType() == ProtoReader.LEN) {
            long start = r.readLengthDelimited();
            into.add(new long[] {start, r.position() - start, 1});
            return;
        }
        r.expect(unpackedWireType, what);
        if (++unpacked > MAX_UNPACKED_VALUES) {
            throw r.error(r.tagOffset(), "more than " + MAX_UNPACKED_VALUES + " unpacked " + what + " values");
        }
        long start = r.position();
        r.skip();
        into.add(new long[] {start, r.position() - start, 0});
    }

    private void unsupported(String field) throws OnnxException {
        unsupportedFields.add(field);
        r.skip();
    }

    private OnnxTensor build(long start, Arena arena) throws OnnxException {
        String what = "tensor '" + name + "' (at offset " + start + ")";
        if (dataLocation == 1 || externalData) {
            throw new OnnxException(r.source() + ": " + what + ": external data is not supported");
        }
        if (dataLocation != 0) {
            throw new OnnxException(r.source() + ": " + what + ": unknown data_location " + dataLocation
                    + "; expected 0 (DEFAULT)");
        }
        OnnxDataType type = OnnxDataType.of(dataType);
        if (type == null) {
            throw new OnnxException(r.source() + ": " + what + " has data_type " + OnnxDataType.describe(dataType)
                    + ", which is not supported; expected one of " + OnnxDataType.supportedList());
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        String typed = what + " " + type + " " + Arrays.toString(shape);
        long elements = 1;
        long bytes;
        try {
            for (long d : shape) {
                if (d < 0) {
                    throw new OnnxException(r.source() + ": " + typed + " has a negative dimension " + d);
                }
                elements = Math.multiplyExact(elements, d);
            }
            bytes = Math.multiplyExact(elements, (long) type.byteSize());
        } catch (ArithmeticException ex) {
            throw new OnnxException(r.source() + ": " + typed + ": element count overflows 64 bits");
        }
        if (!unsupportedFields.isEmpty()) {
            throw new OnnxException(r.source() + ": " + typed + " stores values in " + unsupportedFields.getFirst()
                    + ", which is not supported; expected raw_data");
        }
        List<String> sources = new ArrayList<>();
        if (rawOffset >= 0) {
            sources.add("raw_data");
        }
        if (!floatData.isEmpty()) {
            sources.add("float_data");
        }
        if (!int32Data.isEmpty()) {
            sources.add("int32_data");
        }
        if (!int64Data.isEmpty()) {
            sources.add("int64_data");
        }
        if (sources.size() > 1) {
            throw new OnnxException(r.source() + ": " + typed + " stores values in both " + sources.get(0)
                    + " and " + sources.get(1));
        }
        if (sources.isEmpty()) {
            if (elements != 0) {
                throw new OnnxException(r.source() + ": " + typed + " has no data; expected " + bytes
                        + " bytes of raw_data");
            }
            return new OnnxTensor(name, type, shape, -1, arena.allocate(0).asReadOnly());
        }
        String source = sources.getFirst();
        if (source.equals("raw_data")) {
            if (rawLength != bytes) {
                throw new OnnxException(r.source() + ": " + typed + " needs " + bytes + " bytes; raw_data holds "
                        + rawLength);
            }
            return new OnnxTensor(name, type, shape, rawOffset, mapping.asSlice(rawOffset, rawLength).asReadOnly());
        }
        OnnxDataType expected = switch (source) {
            case "float_data" -> OnnxDataType.FLOAT;
            case "int32_data" -> OnnxDataType.INT32;
            default -> OnnxDataType.INT64;
        };
        if (type != expected) {
            throw new OnnxException(r.source() + ": " + typed + " stores values in " + source
                    + ", which is supported only for " + expected + "; expected raw_data");
        }
        MemorySegment copy = source.equals("float_data")
                ? copyFloats(typed, elements, bytes, arena)
                : copyVarints(source.equals("int32_data") ? int32Data : int64Data, source, typed, elements, bytes, arena);
        return new OnnxTensor(name, type, shape, -1, copy.asReadOnly());
    }

    private MemorySegment copyFloats(String typed, long elements, long bytes, Arena arena) throws OnnxException {
        long total = 0;
        for (long[] range : floatData) {
            if (range[1] % 4 != 0) {
                throw r.error(range[0], typed + ": packed float_data is " + range[1]
                        + " bytes, not a multiple of 4");
            }
            total += range[1];
        }
        if (total != bytes) {
            throw new OnnxException(r.source() + ": " + typed + " has " + total / 4 + " float_data values; expected "
                    + elements);
        }
        MemorySegment out = arena.allocate(bytes, 4);
        long at = 0;
        for (long[] range : floatData) {
            MemorySegment.copy(mapping, range[0], out, at, range[1]);
            at += range[1];
        }
        return out;
    }

    private MemorySegment copyVarints(List<long[]> ranges, String field, String typed, long elements, long bytes,
                                      Arena arena) throws OnnxException {
        long payload = 0;
        for (long[] range : ranges) {
            payload += range[1];
        }
        if (elements > payload) {
            throw new OnnxException(r.source() + ": " + typed + " has at most " + payload + " " + field
                    + " values in " + payload + " bytes; expected " + elements);
        }
        boolean int32 = field.equals("int32_data");
        MemorySegment out = arena.allocate(bytes, 8);
        long count = 0;
        for (long[] range : ranges) {
            ProtoReader values = new ProtoReader(mapping, range[0], range[0] + range[1], r.source());
            while (values.position() < values.end()) {
                long at = values.position();
                long v = values.readVarint();
                if (count == elements) {
                    throw values.error(at, typed + " has more " + field + " values than its " + elements + " elements");
                }
                if (int32) {
                    if (v != (int) v) {
                        throw values.error(at, typed + ": int32_data value " + v + " does not fit in 32 bits");
                    }
                    out.set(ProtoReader.I32_LE, 4 * count, (int) v);
                } else {
                    out.set(ProtoReader.I64_LE, 8 * count, v);
                }
                count++;
            }
        }
        if (count != elements) {
            throw new OnnxException(r.source() + ": " + typed + " has " + count + " " + field + " values; expected "
                    + elements);
        }
        return out;
    }
}
