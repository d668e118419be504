// Runs CUDA kernel sources on this machine's CPU, compiled by g++ against src/emu/host_emu.h
// (each CUDA thread a fiber; barriers and warp intrinsics rendezvous the threads they name):
//   - sample_emu_check.cpp: sample.cu and argmax.cu, every sampling path (the split argmax, the
//     split top-k, the split draw, the warp pick, compaction, top-p by rejection) against the plain
//     single-block path that ran on an H100 against the CPU reference;
//   - gemv_emu_check.cpp: matmul_fused.cu's decode GEMVs at 1, 2, 4 and 8 columns per block, with
//     every fused part, against a float64 reference, and scale.cu's float4 and float paths;
//   - attention_emu_check.cpp: attention.cu's decode attention (with and without the fused KV
//     append) split 1 to 64 ways, against a float64 reference;
//   - matmul_emu_check.cpp: matmul.cu's unfused decode GEMVs (W [n, k], split-K at 1 to 8 columns
//     per block, W [k, n]) against a float64 reference, its bias and cast kernels exactly.
//   - prefill_attention_emu_check.cpp: attention.cu's attention_prefill_f32 and every tensor-core
//     kernel of attention_mma.cu (mma.sync and ldmatrix as warp collectives) against a float64
//     reference that rounds q, K and V to 16 bits as those kernels do.
// Kernel code is CUDA C++ (blockIdx.x unsigned beside int): -Wno-sign-compare.
// Needs g++ and the CUDA headers (cuda_bf16.h for strata_cuda.cuh), as nvcc does; no GPU. Skipped,
// with the reason, without them.
package dev.strata.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class KernelEmulationTest {
    private static final Path SOURCES = Path.of("src/test/cuda");
    private static final Path OUT = Path.of("target/emu");

    /** The first of g++ on PATH; null if none. */
    static Path compiler() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, "g++");
            if (!dir.isEmpty() && Files.isExecutable(p)) return p;
        }
        return null;
    }

    /** A folder holding cuda_bf16.h: $CUDA_HOME/include, /usr/local/cuda/include or /usr/include; null if none. */
    static Path cudaInclude() {
        List<Path> candidates = new ArrayList<>();
        String home = System.getenv("CUDA_HOME");
        if (home != null && !home.isEmpty()) candidates.add(Path.of(home, "include"));
        candidates.add(Path.of("/usr/local/cuda/include"));
        candidates.add(Path.of("/usr/include"));
        for (Path p : candidates)
            if (Files.isRegularFile(p.resolve("cuda_bf16.h"))) return p;
        return null;
    }

    private static Process start(List<String> command) throws IOException {
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /** Waits for p (started from command) and returns its output; fails unless it exits 0 in time. */
    private static String finish(Process p, List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        byte[] out;
        try (var in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        assertTrue(p.waitFor(timeoutSeconds, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n" + text);
        return text;
    }

    /**
     * Compiles src/test/cuda/NAME.cpp with g++ and runs it once per argument list, the runs at the
     * same time; their reports, in order (each exits 0 only when every check passed).
     */
    private static List<String> compileAndRun(String name, List<List<String>> argumentLists) throws IOException, InterruptedException {
        Path gxx = compiler(), include = cudaInclude();
        assumeTrue(gxx != null, "g++ not found on PATH: the kernels cannot be compiled for the host");
        assumeTrue(include != null, "cuda_bf16.h not found ($CUDA_HOME/include, /usr/local/cuda/include, /usr/include)");
        Files.createDirectories(OUT);
        Path binary = OUT.resolve(name);
        // No _FORTIFY_SOURCE: its longjmp check rejects the switch between fiber stacks.
        List<String> compile = List.of(gxx.toString(), "-std=c++17", "-O2", "-U_FORTIFY_SOURCE", "-fno-strict-aliasing", "-Wall",
                "-Wno-unknown-pragmas", "-Wno-sign-compare", "-Werror", "-I" + include, "-o", binary.toString(), SOURCES.resolve(name + ".cpp").toString());
        finish(start(compile), compile, 300);
        List<List<String>> commands = new ArrayList<>();
        List<Process> running = new ArrayList<>();
        for (List<String> arguments : argumentLists) {
            List<String> command = new ArrayList<>(List.of(binary.toAbsolutePath().toString()));
            command.addAll(arguments);
            commands.add(command);
            running.add(start(command));
        }
        List<String> reports = new ArrayList<>();
        try {
            for (int i = 0; i < running.size(); i++) {
                String report = finish(running.get(i), commands.get(i), 540);
                System.out.print(report);
                reports.add(report);
            }
        } finally {
            running.forEach(Process::destroyForcibly);
        }
        return reports;
    }

    private static String compileAndRun(String name) throws IOException, InterruptedException {
        return compileAndRun(name, List.of(List.of())).get(0);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void everySamplingPathDrawsWhatTheSingleBlockPathDraws() throws IOException, InterruptedException {
        // two processes of about a minute each on this machine's two cores
        List<String> reports = compileAndRun("sample_emu_check", List.of(List.of("128256"), List.of("1000", "20000", "32003")));
        String report = String.join("", reports);
        for (String r : reports) assertTrue(r.contains("every path drew the same tokens as options 0"), r);
        for (int vocab : new int[] {1000, 20000, 32003, 128256}) assertTrue(report.contains("vocab " + vocab + ": "), "vocabulary " + vocab + " ran:\n" + report);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void decodeAttentionMatchesTheFloat64ReferenceAtEverySplitCount() throws IOException, InterruptedException {
        String report = compileAndRun("attention_emu_check");
        assertTrue(report.contains(" launches of the decode attention matched the float64 reference"), report);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void prefillAttentionOnTensorCoresAndF32MatchesTheFloat64Reference() throws IOException, InterruptedException {
        String report = compileAndRun("prefill_attention_emu_check");
        assertTrue(report.contains(" launches of the prefill attention matched the float64 reference"), report);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void unfusedDecodeGemvsMatchTheFloat64Reference() throws IOException, InterruptedException {
        String report = compileAndRun("matmul_emu_check");
        assertTrue(report.contains(" launches of matmul.cu matched their references"), report);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void fusedDecodeGemvMatchesTheFloat64ReferenceAtEveryColumnCount() throws IOException, InterruptedException {
        String report = compileAndRun("gemv_emu_check");
        assertTrue(report.contains(" launches of gemv_fused matched the float64 reference"), report);
    }
}
