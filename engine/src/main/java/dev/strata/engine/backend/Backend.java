// Backend SPI, found through ServiceLoader (META-INF/services/dev.strata.engine.backend.Backend).
// A backend whose GPU, driver or kernels are missing reports "unavailable: <reason>" and never
// crashes the process.
package dev.strata.engine.backend;

import java.util.List;

public interface Backend {
    /** Short name used on the command line: cpu, opencl, cuda. */
    String name();

    /** Higher is preferred by --backend auto. */
    int priority();

    Availability availability();

    /** The devices this backend can open; empty when unavailable. */
    List<DeviceInfo> devices();

    /** Opens a device; throws BackendException naming the cause when that is impossible. */
    ComputeDevice open(BackendOptions options);
}
