// The (backend, mode) pairs every model test runs on: the CPU in fast and reference mode and
// every other available backend (OpenCL, CUDA) once in its default mode. The system property
// strata.test.backends (comma list, e.g. "cuda") narrows the set for a targeted run on a GPU host.
package dev.strata.tests;

import dev.strata.engine.backend.Backend;
import dev.strata.engine.backend.Backends;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.provider.Arguments;

public final class BackendCases {
    private BackendCases() {}

    public static List<Arguments> all() {
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

    /** Whether strata.test.backends (unset: every backend) names this backend. */
    public static boolean selected(String backend) {
        String only = System.getProperty("strata.test.backends", "").strip();
        return only.isEmpty() || java.util.Arrays.asList(only.split("\\s*,\\s*")).contains(backend);
    }
}
