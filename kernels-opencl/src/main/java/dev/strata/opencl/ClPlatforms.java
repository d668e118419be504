// Enumerates OpenCL platforms and devices through LWJGL (libOpenCL.so.1, the ICD loader), with
// the facts `strata devices` shows: memory, compute units, fp16/fp64 support.
package dev.strata.opencl;

import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;
import org.lwjgl.PointerBuffer;
import org.lwjgl.opencl.CL10;
import org.lwjgl.system.Configuration;
import org.lwjgl.system.MemoryStack;

final class ClPlatforms {
    /** One device: platform and device handles, names and capabilities. */
    record ClDeviceInfo(int index, long platform, long device, String platformName, String name, long memory, int computeUnits,
                        boolean gpu, String extensions) {
        boolean fp16() { return extensions.contains("cl_khr_fp16"); }

        boolean fp64() { return extensions.contains("cl_khr_fp64"); }

        boolean int64Atomics() { return extensions.contains("cl_khr_int64_base_atomics"); }
    }

    private ClPlatforms() {}

    /** LWJGL looks for libOpenCL.so (the -dev package); the runtime ships libOpenCL.so.1. */
    static void configure() {
        if (Configuration.OPENCL_LIBRARY_NAME.get() == null) Configuration.OPENCL_LIBRARY_NAME.set("libOpenCL.so.1");
    }

    static List<ClDeviceInfo> devices() {
        configure();
        List<ClDeviceInfo> out = new ArrayList<>();
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer n = stack.mallocInt(1);
            int status = CL10.clGetPlatformIDs(null, n);
            if (status != 0 || n.get(0) == 0) return out;
            PointerBuffer platforms = stack.mallocPointer(n.get(0));
            CL10.clGetPlatformIDs(platforms, (IntBuffer) null);
            for (int p = 0; p < platforms.capacity(); p++) {
                long platform = platforms.get(p);
                String pname = platformString(platform, CL10.CL_PLATFORM_NAME);
                IntBuffer nd = stack.mallocInt(1);
                if (CL10.clGetDeviceIDs(platform, CL10.CL_DEVICE_TYPE_ALL, null, nd) != 0 || nd.get(0) == 0) continue;
                PointerBuffer devs = stack.mallocPointer(nd.get(0));
                CL10.clGetDeviceIDs(platform, CL10.CL_DEVICE_TYPE_ALL, devs, (IntBuffer) null);
                for (int d = 0; d < devs.capacity(); d++) {
                    long dev = devs.get(d);
                    out.add(new ClDeviceInfo(out.size(), platform, dev, pname, deviceString(dev, CL10.CL_DEVICE_NAME),
                            deviceLong(dev, CL10.CL_DEVICE_GLOBAL_MEM_SIZE), (int) deviceInt(dev, CL10.CL_DEVICE_MAX_COMPUTE_UNITS),
                            (deviceLong(dev, CL10.CL_DEVICE_TYPE) & CL10.CL_DEVICE_TYPE_GPU) != 0, deviceString(dev, CL10.CL_DEVICE_EXTENSIONS)));
                }
            }
        }
        return out;
    }

    static String platformString(long platform, int param) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer size = stack.mallocPointer(1);
            CL10.clGetPlatformInfo(platform, param, (ByteBuffer) null, size);
            ByteBuffer buf = stack.malloc((int) size.get(0));
            CL10.clGetPlatformInfo(platform, param, buf, null);
            return decode(buf);
        }
    }

    static String deviceString(long device, int param) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer size = stack.mallocPointer(1);
            CL10.clGetDeviceInfo(device, param, (ByteBuffer) null, size);
            ByteBuffer buf = org.lwjgl.system.MemoryUtil.memAlloc((int) size.get(0));
            try {
                CL10.clGetDeviceInfo(device, param, buf, null);
                return decode(buf);
            } finally {
                org.lwjgl.system.MemoryUtil.memFree(buf);
            }
        }
    }

    static long deviceLong(long device, int param) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            LongBuffer v = stack.mallocLong(1);
            CL10.clGetDeviceInfo(device, param, v, null);
            return v.get(0);
        }
    }

    static long deviceInt(long device, int param) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer v = stack.mallocInt(1);
            CL10.clGetDeviceInfo(device, param, v, null);
            return v.get(0);
        }
    }

    private static String decode(ByteBuffer buf) {
        byte[] b = new byte[buf.remaining()];
        buf.get(b);
        return new String(b, java.nio.charset.StandardCharsets.UTF_8).replace("\0", "").trim();
    }
}
