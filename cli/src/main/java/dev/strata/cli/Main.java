// Entry point of the `strata` command.
package dev.strata.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "strata", mixinStandardHelpOptions = true, version = "strata 0.1.0",
        description = "Transformer inference engine for the JVM.",
        subcommands = {SearchCommand.class, RunCommand.class, EmbedCommand.class, GenerateCommand.class, EvalCommand.class, BenchCommand.class, InspectCommand.class, DevicesCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, also used by tests to run commands in-process. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("strata " + cmd.getCommandName() + ": " + message(ex));
            if (System.getenv("STRATA_DEBUG") != null) ex.printStackTrace(cmd.getErr());
            return 2;
        });
        return cl;
    }

    private static String message(Throwable ex) {
        String m = ex.getMessage();
        return m == null ? ex.toString() : m;
    }
}
