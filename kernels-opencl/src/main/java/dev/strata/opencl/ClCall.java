// One kernel launch on OpenCL as plain data: program (.cl base name), kernel, global and local
// sizes (local null = the driver's choice) and arguments (Mem, Integer or Float).
package dev.strata.opencl;

import java.util.List;

record ClCall(String program, String kernel, long[] global, long[] local, List<Object> args) {
    /** A cl_mem argument. */
    record Mem(long handle) {}

    static ClCall of(String program, String kernel, long[] global, long[] local, Object... args) {
        return new ClCall(program, kernel, global, local, List.of(args));
    }
}
