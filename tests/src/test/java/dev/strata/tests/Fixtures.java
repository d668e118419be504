// Locates ../shared/fixtures (system property strata.fixtures, set by the build) and compares
// tensors by max|a−b| / max|b|.
package dev.strata.tests;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strata.loader.SafetensorsFile;
import dev.strata.loader.TensorInfo;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

final class Fixtures {
    private Fixtures() {}

    static Path root() {
        String p = System.getProperty("strata.fixtures", "../../shared/fixtures");
        Path root = Path.of(p).toAbsolutePath().normalize();
        assumeTrue(Files.isDirectory(root), "fixtures not found at " + root);
        return root;
    }

    static Path model(String name) {
        Path dir = root().resolve(name);
        assumeTrue(Files.isDirectory(dir), "fixture " + name + " not found at " + dir);
        return dir;
    }

    static double[] doubles(SafetensorsFile f, String name) {
        TensorInfo info = f.info(name);
        MemorySegment s = f.data(name);
        int n = Math.toIntExact(info.elementCount());
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (info.dtype()) {
                case F64 -> s.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i);
                case F32 -> s.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
                case I64 -> s.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i);
                default -> throw new IllegalStateException(name + ": unexpected dtype " + info.dtype());
            };
        }
        return out;
    }

    /** max|a−b| / max|b|; NaN anywhere gives +inf. */
    static double relError(double[] actual, double[] expected) {
        if (actual.length != expected.length) throw new AssertionError("length " + actual.length + " vs expected " + expected.length);
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < actual.length; i++) {
            if (Double.isNaN(actual[i]) || Double.isNaN(expected[i])) return Double.POSITIVE_INFINITY;
            maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
        }
        return maxDiff / maxRef;
    }
}
