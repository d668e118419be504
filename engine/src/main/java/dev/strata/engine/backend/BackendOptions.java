// Options for opening a device, the one configuration record for runtime switches: which device
// (index or name substring; null = the backend's best), reference mode (CPU: accumulate in
// double), thread count (0 = all cores), and whether repeated steps are replayed as device
// graphs (CUDA graphs) where the backend has them.
package dev.strata.engine.backend;

public record BackendOptions(String device, boolean reference, int threads, boolean deviceGraphs) {
    public BackendOptions(String device, boolean reference, int threads) { this(device, reference, threads, true); }

    public static BackendOptions defaults() { return new BackendOptions(null, false, 0, true); }

    public BackendOptions withReference(boolean ref) { return new BackendOptions(device, ref, threads, deviceGraphs); }
}
