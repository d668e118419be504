// The (backend, mode) pairs every model test runs on: the CPU in fast and reference mode and
// every other available backend (OpenCL, CUDA) once in its default mode. The system property
// strata.test.backends (comma list, e.g. "cuda") narrows the set for a targeted run on a GPU host;
// the CUDA host emulation (cuda-emu) runs only when named there or under strata.test.emulated.
package dev.strata.tests;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strata.engine.backend.Backend;
import dev.strata.engine.backend.Backends;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.provider.Arguments;

public final class BackendCases {
    private BackendCases() {}

    /** The pairs; in the emulated run (strata.test.emulated), cuda-emu's, and the caller is skipped where it is unavailable. */
    public static List<Arguments> all() {
        if (Boolean.getBoolean("strata.test.emulated")) {
            Backend emulated = find(EMULATED);
            assumeTrue(emulated != null && emulated.availability().available(),
                    () -> EMULATED + " unavailable: " + (emulated == null ? "not on the class path" : emulated.availability().reason()));
        }
        List<Arguments> out = new ArrayList<>();
        for (Backend b : Backends.all()) {
            if (!b.availability().available() || !selected(b.name())) continue;
            if (b.name().equals("cpu")) {
                out.add(Arguments.of("cpu", "fast"));
                out.add(Arguments.of("cpu", "reference"));
            } else {
                out.add(Arguments.of(b.name(), "default"));
            }
        }
        return out;
    }

    private static Backend find(String name) {
        for (Backend b : Backends.all()) if (b.name().equals(name)) return b;
        return null;
    }

    /** The CUDA host emulation: slow, so it runs only when named, or in the build's emulated test run. */
    static final String EMULATED = "cuda-emu";

    /**
     * Whether this backend runs here: under strata.test.emulated=true (the tests module's cuda-emu
     * surefire execution) only cuda-emu; else the backends strata.test.backends names, or when it is
     * unset every backend but cuda-emu.
     */
    public static boolean selected(String backend) {
        if (Boolean.getBoolean("strata.test.emulated")) return backend.equals(EMULATED);
        String only = System.getProperty("strata.test.backends", "").strip();
        if (only.isEmpty()) return !backend.equals(EMULATED);
        return java.util.Arrays.asList(only.split("\\s*,\\s*")).contains(backend);
    }
}
