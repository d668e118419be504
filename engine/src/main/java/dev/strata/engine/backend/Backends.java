// Finds backends through ServiceLoader and picks one by name or by priority ("auto").
package dev.strata.engine.backend;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.logging.Logger;

public final class Backends {
    private static final Logger LOG = Logger.getLogger(Backends.class.getName());

    private Backends() {}

    /** Every backend on the class path, highest priority first. */
    public static List<Backend> all() {
        List<Backend> out = new ArrayList<>();
        for (Backend b : ServiceLoader.load(Backend.class)) out.add(b);
        out.sort(Comparator.comparingInt(Backend::priority).reversed());
        return out;
    }

    /** The named backend ("auto": the highest-priority available one); throws naming the reason. */
    public static Backend select(String name) {
        if (name == null || name.equals("auto")) {
            for (Backend b : all()) {
                Availability a = b.availability();
                if (a.available()) return b;
                LOG.info(() -> "backend " + b.name() + " skipped by auto: " + a.reason());
            }
            throw new BackendException("no backend is available");
        }
        for (Backend b : ServiceLoader.load(Backend.class)) { // not all(): its sort probes every backend's devices
            if (b.name().equals(name)) {
                Availability a = b.availability();
                if (!a.available()) throw new BackendException("backend " + name + " is unavailable: " + a.reason());
                return b;
            }
        }
        List<String> known = new ArrayList<>();
        for (Backend b : ServiceLoader.load(Backend.class)) known.add(b.name());
        throw new BackendException("unknown backend '" + name + "'; known: " + known);
    }
}
