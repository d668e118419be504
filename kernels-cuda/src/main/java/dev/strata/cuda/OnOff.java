// Parses the CUDA backend's on/off system properties (strata.cuda.pdl, strata.cuda.sampleTopPRejection,
// strata.cuda.sampleCompact), refusing anything else with the property's name.
package dev.strata.cuda;

final class OnOff {
    private OnOff() {}

    /** value ("on" or "off", surrounding blanks ignored) of the property named `property`. */
    static boolean parse(String property, String value) {
        return switch (value.trim()) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException(property + ": '" + value + "'; expected on or off");
        };
    }

    /** The system property `property`, or `fallback` where it is not set. */
    static boolean property(String property, String fallback) { return parse(property, System.getProperty(property, fallback)); }
}
