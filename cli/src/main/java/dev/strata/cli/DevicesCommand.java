// `strata devices`: every backend with its devices, or why it is unavailable. Always exits 0.
package dev.strata.cli;

import dev.strata.engine.backend.Availability;
import dev.strata.engine.backend.Backend;
import dev.strata.engine.backend.Backends;
import dev.strata.engine.backend.DeviceInfo;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "devices", mixinStandardHelpOptions = true, description = "List backends and their devices.")
final class DevicesCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        for (Backend b : Backends.all()) {
            Availability a;
            try {
                a = b.availability();
            } catch (RuntimeException | LinkageError e) {
                a = Availability.no(e.toString());
            }
            out.println(b.name() + ": " + a);
            if (!a.available()) continue;
            for (DeviceInfo d : b.devices()) {
                out.printf("  [%d] %s, %.1f GiB, %s%n", d.index(), d.name(), d.memoryBytes() / (double) (1L << 30), d.details());
            }
        }
        return 0;
    }
}
