// The OpenCL backend: every platform and device the ICD loader (libOpenCL.so.1) reports;
// unavailable with the reason when there is no loader or no device. Device choice: index or name
// substring; default the first GPU, else the first device. `auto` prefers it to the CPU backend
// only when it has a GPU.
package dev.strata.opencl;

import dev.strata.engine.backend.Availability;
import dev.strata.engine.backend.Backend;
import dev.strata.engine.backend.BackendException;
import dev.strata.engine.backend.BackendOptions;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.backend.DeviceInfo;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

public final class OpenClBackend implements Backend {
    private static final Logger LOG = Logger.getLogger(OpenClBackend.class.getName());
    /** The signal-chaining warning is logged once per JVM (ServiceLoader makes a backend per lookup). */
    private static final AtomicBoolean WARNED = new AtomicBoolean();
    private volatile List<ClPlatforms.ClDeviceInfo> devices;
    private volatile String failure;

    public String name() { return "opencl"; }

    /** Above the CPU backend only with an OpenCL GPU: PoCL on the host's own cores is slower than the native CPU backend. */
    public int priority() { return probe().stream().anyMatch(ClPlatforms.ClDeviceInfo::gpu) ? 10 : -10; }

    private synchronized List<ClPlatforms.ClDeviceInfo> probe() {
        if (devices == null && failure == null) {
            try {
                devices = ClPlatforms.devices();
                if (devices.isEmpty()) failure = "no OpenCL platform or device found (is an ICD such as PoCL or the NVIDIA driver installed?)";
                warnWithoutSignalChaining(devices);
            } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
                String m = String.valueOf(e.getMessage());
                failure = "the OpenCL ICD loader libOpenCL.so.1 could not be loaded: " + m.lines().findFirst().orElse(m);
            }
        }
        return devices == null ? List.of() : devices;
    }

    /**
     * PoCL runs LLVM in the JVM's process, and LLVM installs its own SIGSEGV, SIGBUS, SIGILL and
     * SIGUSR2 handlers over the JVM's (java -Xcheck:jni reports "Handler was modified"). The JVM
     * raises SIGSEGV on purpose (implicit null checks, safepoint polls), so such a process may die
     * later with a bare "Segmentation fault". Preloading the JDK's libjsig chains the handlers.
     */
    private static void warnWithoutSignalChaining(List<ClPlatforms.ClDeviceInfo> found) {
        boolean pocl = found.stream().anyMatch(d -> d.platformName().contains("Portable Computing Language"));
        String preload = System.getenv("LD_PRELOAD");
        if (pocl && (preload == null || !preload.contains("libjsig")) && WARNED.compareAndSet(false, true)) {
            LOG.warning("OpenCL platform PoCL is loaded without signal chaining: its LLVM replaces the JVM's signal handlers, "
                    + "which can crash the JVM later. Start java with LD_PRELOAD=" + System.getProperty("java.home") + "/lib/libjsig.so "
                    + "(./strata, ./run-tests and the bench scripts do)");
        }
    }

    public Availability availability() {
        probe();
        return failure == null ? Availability.yes() : Availability.no(failure);
    }

    public List<DeviceInfo> devices() {
        return probe().stream().map(d -> new DeviceInfo("opencl", d.index(), d.name(), d.memory(),
                d.platformName() + ", " + d.computeUnits() + " compute units, " + (d.gpu() ? "GPU" : "not a GPU")
                        + ", fp16 " + (d.fp16() ? "yes" : "no") + ", fp64 " + (d.fp64() ? "yes" : "no"))).toList();
    }

    public ComputeDevice open(BackendOptions options) {
        List<ClPlatforms.ClDeviceInfo> all = probe();
        if (failure != null) throw new BackendException("opencl backend unavailable: " + failure);
        ClPlatforms.ClDeviceInfo pick = all.stream().filter(ClPlatforms.ClDeviceInfo::gpu).findFirst().orElse(all.get(0));
        if (options.device() != null) {
            pick = all.stream().filter(d -> options.device().equals(Integer.toString(d.index())) || d.name().contains(options.device()))
                    .findFirst().orElseThrow(() -> new BackendException("no OpenCL device matches '" + options.device() + "'; devices: "
                            + all.stream().map(d -> d.index() + ": " + d.name()).toList()));
        }
        return new OpenClDevice(pick);
    }
}
