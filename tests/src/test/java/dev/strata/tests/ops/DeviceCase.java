// One backend in one mode, as a conformance-test parameter: every backend ServiceLoader finds,
// and for "cpu" both the fast (float, multi-threaded) and the reference (double, one thread)
// device. Unavailable backends stay in the list and skip with their reason; strata.test.backends
// narrows the list (BackendCases.selected).
package dev.strata.tests.ops;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strata.engine.backend.Availability;
import dev.strata.engine.backend.Backend;
import dev.strata.engine.backend.BackendOptions;
import dev.strata.engine.backend.Backends;
import dev.strata.engine.backend.ComputeDevice;
import java.util.ArrayList;
import java.util.List;

public record DeviceCase(Backend backend, BackendOptions options, String label) {
    public static List<DeviceCase> all() {
        List<DeviceCase> out = new ArrayList<>();
        for (Backend b : Backends.all()) {
            if (!dev.strata.tests.BackendCases.selected(b.name())) continue;
            if (b.name().equals("cpu")) {
                out.add(new DeviceCase(b, new BackendOptions(null, false, 0), "cpu-fast"));
                out.add(new DeviceCase(b, new BackendOptions(null, true, 0), "cpu-reference"));
            } else {
                out.add(new DeviceCase(b, BackendOptions.defaults(), b.name()));
            }
        }
        return out;
    }

    /** Whether this device accumulates in double (results differ from exact only by the final float rounding). */
    public boolean doubleAccumulation() { return backend.name().equals("cpu") && options.reference(); }

    /** Skips the calling test, naming the reason, when the backend cannot run here. */
    public ComputeDevice open() {
        Availability a = backend.availability();
        assumeTrue(a.available(), () -> "backend " + backend.name() + " unavailable: " + a.reason());
        return backend.open(options);
    }

    @Override public String toString() { return label; }
}
