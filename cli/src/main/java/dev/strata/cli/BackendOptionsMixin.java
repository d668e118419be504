// --backend / --device / --threads / --reference, shared by every command that runs a model.
package dev.strata.cli;

import dev.strata.engine.backend.Backend;
import dev.strata.engine.backend.BackendOptions;
import dev.strata.engine.backend.Backends;
import dev.strata.engine.backend.ComputeDevice;
import picocli.CommandLine.Option;

public final class BackendOptionsMixin {
    @Option(names = "--backend", defaultValue = "auto", description = "cpu, opencl, cuda or auto (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--device", description = "device index or name substring within the backend")
    String device;

    @Option(names = "--threads", defaultValue = "0", description = "CPU worker threads (0 = all cores)")
    int threads;

    @Option(names = "--reference", description = "CPU reference mode: every op accumulates in double, one thread")
    boolean reference;

    ComputeDevice open() {
        Backend b = Backends.select(backend);
        return b.open(new BackendOptions(device, reference, threads));
    }
}
