// Puts DJL into strict offline mode before any DJL class runs: no telemetry, no native download.
package dev.strata.loader.tokenizer;

import java.util.Locale;

/**
 * DJL 0.38.0 switches (read with {@code ai.djl.util.Utils}; environment variables win over
 * system properties):
 * <ul>
 *   <li>{@code ai.djl.offline} / env {@code DJL_OFFLINE}: offline mode. It stops telemetry
 *       ({@code Ec2Utils.callHome}) and makes the tokenizers loader pick the {@code cpu} flavour,
 *       which is extracted from the jar ({@code native/lib/linux-x86_64/cpu/libtokenizers.so});
 *       only a CUDA flavour ({@code cu*}) is ever downloaded.</li>
 *   <li>{@code OPT_OUT_TRACKING} (env or system property): telemetry opt-out.</li>
 *   <li>{@code RUST_FLAVOR} (env or system property): forces the native flavour; set to
 *       {@code cpu} here so a CUDA host never triggers a download even if offline mode is
 *       turned off elsewhere.</li>
 * </ul>
 * The library is extracted once to {@code $ENGINE_CACHE_DIR/tokenizers}, else
 * {@code $DJL_CACHE_DIR/tokenizers}, else {@code ~/.djl.ai/tokenizers} (both variables may
 * also be given as system properties).
 */
final class DjlOffline {

    private static boolean done;

    private DjlOffline() {}

    /** Sets the switches once; fails if the environment explicitly asks for online behaviour. */
    static synchronized void ensure() {
        if (done) {
            return;
        }
        String envOffline = System.getenv("DJL_OFFLINE");
        if (envOffline != null && !Boolean.parseBoolean(envOffline)) {
            throw new IllegalStateException(
                    "DJL_OFFLINE=" + envOffline + " in the environment; Strata's tokenizer runs"
                            + " offline only: unset it or set it to true");
        }
        String envFlavor = System.getenv("RUST_FLAVOR");
        if (envFlavor != null && !envFlavor.isEmpty()
                && !envFlavor.toLowerCase(Locale.ROOT).equals("cpu")) {
            throw new IllegalStateException(
                    "RUST_FLAVOR=" + envFlavor + " in the environment would make DJL download a"
                            + " native tokenizer library; unset it or set it to cpu");
        }
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("RUST_FLAVOR", "cpu");
        if (System.getProperty("slf4j.internal.verbosity") == null) {
            System.setProperty("slf4j.internal.verbosity", "ERROR");
        }
        done = true;
    }
}
