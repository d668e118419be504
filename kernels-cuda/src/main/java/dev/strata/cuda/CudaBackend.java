// The CUDA backend: JCuda driver API + nvcc-built kernels + cuBLAS through FFM. Unavailable,
// with the reason, when the kernels were not built, JCuda's native library or libcuda cannot be
// loaded, cuInit fails, or no device exists.
package dev.strata.cuda;

import dev.strata.engine.backend.Availability;
import dev.strata.engine.backend.Backend;
import dev.strata.engine.backend.BackendException;
import dev.strata.engine.backend.BackendOptions;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.backend.DeviceInfo;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

public final class CudaBackend implements Backend {
    private volatile Availability availability;

    public String name() { return "cuda"; }

    public int priority() { return 20; }

    public synchronized Availability availability() {
        if (availability == null) availability = probe();
        return availability;
    }

    private static Availability probe() {
        String missing = CudaKernels.missingReason();
        if (missing != null) return Availability.no(missing);
        try {
            JCudaDriver.setExceptionsEnabled(false);
            int status = JCudaDriver.cuInit(0);
            if (status != 0) return Availability.no(CudaCheck.message(status, "cuInit", null, -1) + " (no NVIDIA driver or GPU?)");
            int[] count = new int[1];
            status = JCudaDriver.cuDeviceGetCount(count);
            if (status != 0) return Availability.no(CudaCheck.message(status, "cuDeviceGetCount", null, -1));
            if (count[0] == 0) return Availability.no("no CUDA device found");
            return Availability.yes();
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return Availability.no(linkFailure(String.valueOf(e.getMessage())));
        }
    }

    /** One line from JCuda's multi-page load error: the missing driver, or the error's first line. */
    static String linkFailure(String message) {
        if (message.contains("libcuda.so")) return "libcuda.so.1 (the NVIDIA driver) could not be loaded: no NVIDIA driver on this machine";
        String first = message.lines().findFirst().orElse(message).strip();
        return "the JCuda driver library could not be loaded: " + first;
    }

    public List<DeviceInfo> devices() {
        if (!availability().available()) return List.of();
        int[] count = new int[1];
        JCudaDriver.cuDeviceGetCount(count);
        List<DeviceInfo> out = new ArrayList<>();
        for (int i = 0; i < count[0]; i++) {
            CUdevice d = new CUdevice();
            JCudaDriver.cuDeviceGet(d, i);
            byte[] name = new byte[256];
            JCudaDriver.cuDeviceGetName(name, name.length, d);
            long[] mem = new long[1];
            JCudaDriver.cuDeviceTotalMem(mem, d);
            int[] sm = new int[1], major = new int[1], minor = new int[1];
            JCudaDriver.cuDeviceGetAttribute(sm, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, d);
            JCudaDriver.cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, d);
            JCudaDriver.cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, d);
            String n = new String(name, StandardCharsets.US_ASCII).trim().replace("\0", "");
            out.add(new DeviceInfo("cuda", i, n, mem[0], sm[0] + " SMs, compute capability " + major[0] + "." + minor[0]));
        }
        return out;
    }

    public ComputeDevice open(BackendOptions options) {
        Availability a = availability();
        if (!a.available()) throw new BackendException("cuda backend unavailable: " + a.reason());
        List<DeviceInfo> devs = devices();
        DeviceInfo pick = devs.get(0);
        if (options.device() != null) {
            pick = devs.stream().filter(d -> options.device().equals(Integer.toString(d.index())) || d.name().contains(options.device()))
                    .findFirst().orElseThrow(() -> new BackendException("no CUDA device matches '" + options.device() + "'; devices: " + devs));
        }
        return new CudaDevice(pick.index(), pick.name(), options.deviceGraphs());
    }
}
