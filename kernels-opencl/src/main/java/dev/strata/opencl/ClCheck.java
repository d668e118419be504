// The one place OpenCL statuses are checked: "OpenCL error -5 (CL_OUT_OF_RESOURCES) in
// clEnqueueNDRangeKernel [rms_norm] on pthread-cpu (Portable Computing Language)".
package dev.strata.opencl;

import dev.strata.engine.backend.BackendException;
import java.util.Map;

final class ClCheck {
    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(-1, "CL_DEVICE_NOT_FOUND"), Map.entry(-2, "CL_DEVICE_NOT_AVAILABLE"), Map.entry(-4, "CL_MEM_OBJECT_ALLOCATION_FAILURE"),
            Map.entry(-5, "CL_OUT_OF_RESOURCES"), Map.entry(-6, "CL_OUT_OF_HOST_MEMORY"), Map.entry(-11, "CL_BUILD_PROGRAM_FAILURE"),
            Map.entry(-30, "CL_INVALID_VALUE"), Map.entry(-33, "CL_INVALID_DEVICE"), Map.entry(-34, "CL_INVALID_CONTEXT"),
            Map.entry(-36, "CL_INVALID_COMMAND_QUEUE"), Map.entry(-38, "CL_INVALID_MEM_OBJECT"), Map.entry(-46, "CL_INVALID_KERNEL_NAME"),
            Map.entry(-48, "CL_INVALID_KERNEL"), Map.entry(-49, "CL_INVALID_ARG_INDEX"), Map.entry(-50, "CL_INVALID_ARG_VALUE"),
            Map.entry(-51, "CL_INVALID_ARG_SIZE"), Map.entry(-52, "CL_INVALID_KERNEL_ARGS"), Map.entry(-54, "CL_INVALID_WORK_GROUP_SIZE"),
            Map.entry(-55, "CL_INVALID_WORK_ITEM_SIZE"), Map.entry(-61, "CL_INVALID_BUFFER_SIZE"), Map.entry(-1001, "CL_PLATFORM_NOT_FOUND_KHR"));

    private final String device;

    ClCheck(String device) { this.device = device; }

    static String name(int status) { return NAMES.getOrDefault(status, "unknown status"); }

    void check(int status, String call, String kernel) {
        if (status != 0) {
            throw new BackendException("OpenCL error " + status + " (" + name(status) + ") in " + call + (kernel == null ? "" : " [" + kernel + "]") + " on " + device);
        }
    }

    void check(int status, String call) { check(status, call, null); }
}
