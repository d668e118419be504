// Finds a native library by its candidate sonames (newest first) through the dynamic loader,
// then through known CUDA install folders; the error lists everything tried.
package dev.strata.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

public final class NativeLibraries {
    private static final List<String> FOLDERS = List.of("/usr/local/cuda/targets/x86_64-linux/lib", "/usr/local/cuda/lib64",
            "/usr/lib/x86_64-linux-gnu", "/usr/local/nvidia/lib64");

    private NativeLibraries() {}

    /** Opens the first loadable of `names` for the lifetime of `arena`. */
    public static SymbolLookup open(Arena arena, String... names) {
        List<String> tried = new ArrayList<>();
        for (String name : names) {
            try {
                return SymbolLookup.libraryLookup(name, arena);
            } catch (IllegalArgumentException e) {
                tried.add(name);
            }
            for (String folder : FOLDERS) {
                Path p = Path.of(folder, name);
                if (!Files.exists(p)) continue;
                try {
                    return SymbolLookup.libraryLookup(p, arena);
                } catch (IllegalArgumentException e) {
                    tried.add(p.toString());
                }
            }
        }
        throw new UnsatisfiedLinkError("none of " + tried + " could be loaded");
    }
}
