// Parses the CUDA backend's system properties (on/off switches such as strata.cuda.pdl, integer
// ranges such as strata.cuda.decodeKeysPerSplit), refusing anything else with the property's name
// and what it expects.
package dev.strata.cuda;

final class CudaSwitches {
    private CudaSwitches() {}

    /** value ("on" or "off", surrounding blanks ignored) of the property named `property`. */
    static boolean parse(String property, String value) {
        return switch (value.trim()) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException(property + ": '" + value + "'; expected on or off");
        };
    }

    /** The on/off system property `property`, or `fallback` where it is not set. */
    static boolean property(String property, String fallback) { return parse(property, System.getProperty(property, fallback)); }

    /** value (an integer from min to max, surrounding blanks ignored) of the property named `property`. */
    static int intInRange(String property, String value, int min, int max) {
        try {
            int v = Integer.parseInt(value.trim());
            if (v >= min && v <= max) return v;
        } catch (NumberFormatException e) {
            // falls through to the message naming what is expected
        }
        throw new IllegalArgumentException(property + ": '" + value + "'; expected an integer from " + min + " to " + max);
    }

    /** Columns per block (8, 4 or 2; with autoAllowed also "auto", returned as 0) of the property named `property`. */
    static int columns(String property, String value, boolean autoAllowed) {
        String v = value.trim();
        if (autoAllowed && v.equals("auto")) return 0;
        if (v.equals("8") || v.equals("4") || v.equals("2")) return Integer.parseInt(v);
        throw new IllegalArgumentException(property + ": '" + value + "'; expected " + (autoAllowed ? "auto, " : "") + "8, 4 or 2");
    }
}
