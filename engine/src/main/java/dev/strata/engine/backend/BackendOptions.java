// Options for opening a device: which one (index or name substring; null = the backend's best),
// reference mode (CPU: accumulate in double) and thread count (0 = all cores).
package dev.strata.engine.backend;

public record BackendOptions(String device, boolean reference, int threads) {
    public static BackendOptions defaults() { return new BackendOptions(null, false, 0); }

    public BackendOptions withReference(boolean ref) { return new BackendOptions(device, ref, threads); }
}
