// The cuda-emu backend: the CUDA backend's plans and kernels on this machine's CPU through the host
// emulation (EmulatedCudaDevice), for checking the CUDA path where no GPU is (its numbers against
// the CPU reference, layer by layer). Never picked by `auto` (lowest priority). Unavailable, with the
// reason, where the emulation library was not built (no g++ or CUDA headers at build time) or the
// platform is not Linux x86-64. System property strata.cudaEmu.multiprocessors (1 to 1024, default
// 132, an H100's) sizes the plans' grids as for a GPU with that many SMs.
package dev.strata.cuda;

import dev.strata.engine.backend.Availability;
import dev.strata.engine.backend.Backend;
import dev.strata.engine.backend.BackendException;
import dev.strata.engine.backend.BackendOptions;
import dev.strata.engine.backend.ComputeDevice;
import dev.strata.engine.backend.DeviceInfo;
import java.util.List;

public final class EmulatedCudaBackend implements Backend {
    public String name() { return "cuda-emu"; }

    public int priority() { return -20; }

    public Availability availability() {
        String missing = EmulatedCuda.missingReason();
        return missing == null ? Availability.yes() : Availability.no(missing);
    }

    static int multiprocessors() {
        return CudaSwitches.intInRange("strata.cudaEmu.multiprocessors",
                System.getProperty("strata.cudaEmu.multiprocessors", Integer.toString(EmulatedCudaDevice.H100_MULTIPROCESSORS)), 1, 1024);
    }

    public List<DeviceInfo> devices() {
        if (!availability().available()) return List.of();
        return List.of(new DeviceInfo("cuda-emu", 0, "CUDA host emulation", Runtime.getRuntime().maxMemory(),
                "CUDA kernels compiled for the CPU, launch plans for " + multiprocessors() + " SMs"));
    }

    public ComputeDevice open(BackendOptions options) {
        Availability a = availability();
        if (!a.available()) throw new BackendException("cuda-emu backend unavailable: " + a.reason());
        return new EmulatedCudaDevice(EmulatedCuda.get(), multiprocessors(), options.deviceGraphs());
    }
}
