// Kernel signatures read from the PTX the build writes next to the fatbins (target/ptx, by
// build-kernels.sh): for each extern "C" entry, its parameter kinds (u64 pointer, 32-bit int,
// f32). Lets tests check launch plans against the compiled kernels without a GPU.
package dev.strata.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

final class PtxSignatures {
    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)", Pattern.DOTALL);
    private static final Pattern PARAM = Pattern.compile("\\.param\\s+\\.(\\w+)");

    private PtxSignatures() {}

    /** Folder of the build's PTX (target/ptx), or null where nvcc was absent. */
    static Path ptxDir() {
        Path p = Path.of("target/ptx");
        return Files.isRegularFile(Path.of("target/classes/dev/strata/cuda/kernels/kernels.list")) && Files.isDirectory(p) ? p : null;
    }

    /** module/function → parameter PTX types (u64, u32, s32, f32) of every entry in every module. */
    static Map<String, List<String>> read(Path dir) throws IOException {
        Map<String, List<String>> out = new HashMap<>();
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".ptx")).toList()) {
                String module = f.getFileName().toString().replace(".ptx", "");
                Matcher m = ENTRY.matcher(Files.readString(f, StandardCharsets.UTF_8));
                while (m.find()) {
                    List<String> params = new ArrayList<>();
                    Matcher pm = PARAM.matcher(m.group(2));
                    while (pm.find()) params.add(pm.group(1));
                    out.put(module + "/" + m.group(1), params);
                }
            }
        }
        return out;
    }
}
