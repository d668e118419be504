// The CPU backend: always available; one device, the host's cores.
package dev.strata.engine.cpu;

import dev.strata.engine.backend.Availability;
import dev.strata.engine.backend.Backend;
import dev.strata.engine.backend.BackendOptions;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.backend.DeviceInfo;
import java.util.List;

public final class CpuBackend implements Backend {
    public String name() { return "cpu"; }

    public int priority() { return 0; }

    public Availability availability() { return Availability.yes(); }

    public List<DeviceInfo> devices() {
        int cores = Runtime.getRuntime().availableProcessors();
        String vector = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit vectors";
        return List.of(new DeviceInfo("cpu", 0, System.getProperty("os.arch") + " host", Runtime.getRuntime().maxMemory(),
                cores + " cores, " + vector + ", max heap shown as memory; model weights are memory-mapped outside it"));
    }

    public ComputeDevice open(BackendOptions options) {
        return new CpuDevice(options.reference(), options.threads());
    }
}
