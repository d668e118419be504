// A backend's answer to "can you run this op?": yes, or the reasons it cannot.
package dev.strata.engine.backend;

import java.util.List;

public record Support(List<String> reasons) {
    public static final Support YES = new Support(List.of());

    public static Support no(String... reasons) { return new Support(List.of(reasons)); }

    public boolean supported() { return reasons.isEmpty(); }
}
