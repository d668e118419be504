// Erf.fast (table + cubic Hermite) against the series/continued-fraction Erf.erf, and Erf.erf
// against known values of erf.
package dev.strata.engine.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ErfTest {
    @Test
    void exactErfMatchesPublishedValues() {
        assertEquals(0.0, Erf.erf(0), 0);
        assertEquals(0.5204998778130465, Erf.erf(0.5), 1e-15);
        assertEquals(0.8427007929497149, Erf.erf(1), 1e-15);
        assertEquals(0.9953222650189527, Erf.erf(2), 1e-14);
        assertEquals(-0.9999779095030014, Erf.erf(-3), 1e-14);
    }

    @Test
    void fastErfIsWithin1e10OfTheExactOneEverywhere() {
        double worst = 0;
        for (int i = -800_000; i <= 800_000; i++) {
            double x = i * 1e-5 + 3.7e-7; // off the knots, across the table and past its end
            worst = Math.max(worst, Math.abs(Erf.fast(x) - Erf.erf(x)));
        }
        assertTrue(worst < 1e-10, "worst |fast − exact| = " + worst);
        assertEquals(1.0, Erf.fast(7), 0);
        assertEquals(-1.0, Erf.fast(Double.NEGATIVE_INFINITY), 0);
        assertTrue(Double.isNaN(Erf.fast(Double.NaN)));
    }
}
