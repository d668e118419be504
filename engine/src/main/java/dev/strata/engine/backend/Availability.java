// Whether a backend can run here, and if not, why.
package dev.strata.engine.backend;

public record Availability(boolean available, String reason) {
    public static Availability yes() { return new Availability(true, "available"); }

    public static Availability no(String reason) { return new Availability(false, reason); }

    @Override public String toString() { return available ? "available" : "unavailable: " + reason; }
}
