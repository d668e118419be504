// Reads rotary-embedding settings from transformers 5 rope_parameters or the older rope_theta + rope_scaling.
package dev.strata.loader;

import java.util.Optional;

final class RopeParser {

    static final double DEFAULT_THETA = 10000.0;

    private RopeParser() {
    }

    /**
     * {@code rope_parameters} holds theta and scaling together; in the older dialect theta is top-level and
     * scaling (possibly null) is in {@code rope_scaling}. Per-layer-type parameters use "full_attention".
     */
    static HfConfig.RopeConfig parse(JsonFields c, int maxPositions) throws ConfigException {
        Optional<JsonFields> params = c.object("rope_parameters");
        if (params.isPresent() && !params.get().has("rope_type") && !params.get().has("rope_theta")) {
            params = params.get().object("full_attention");
        }
        JsonFields scaling = params.isPresent() ? params.get() : c.object("rope_scaling").orElse(null);
        Optional<Double> theta = params.isPresent() ? params.get().number("rope_theta") : Optional.empty();
        if (theta.isEmpty()) {
            theta = c.number("rope_theta");
        }
        Optional<Double> partial = params.isPresent() ? params.get().number("partial_rotary_factor") : Optional.empty();
        if (partial.isEmpty()) {
            partial = c.number("partial_rotary_factor");
        }
        HfConfig.RopeConfig rope = scaling == null
                ? new HfConfig.RopeConfig(theta.orElse(DEFAULT_THETA), "default", 1.0, 1.0, 4.0, maxPositions,
                        partial.orElse(1.0))
                : scaled(scaling, theta.orElse(DEFAULT_THETA), maxPositions, partial.orElse(1.0));
        check(c, rope);
        return rope;
    }

    private static HfConfig.RopeConfig scaled(JsonFields s, double theta, int maxPositions, double partial)
            throws ConfigException {
        Optional<String> t = s.string("rope_type");
        String type = t.isPresent() ? t.get() : s.string("type").orElse("default");
        if (type.equals("llama3")) {
            require(s, type, "factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings");
        } else if (!type.equals("default")) {
            require(s, type, "factor");
        }
        return new HfConfig.RopeConfig(theta, type,
                s.number("factor").orElse(1.0),
                s.number("low_freq_factor").orElse(1.0),
                s.number("high_freq_factor").orElse(4.0),
                s.integer("original_max_position_embeddings").orElse(maxPositions),
                partial);
    }

    private static void require(JsonFields s, String type, String... keys) throws ConfigException {
        for (String k : keys) {
            if (!s.has(k)) {
                throw new ConfigException(s.source() + ": rope_type '" + type + "' needs key '" + k + "'");
            }
        }
    }

    private static void check(JsonFields c, HfConfig.RopeConfig r) throws ConfigException {
        if (!(r.theta() > 0) || Double.isInfinite(r.theta())) {
            throw new ConfigException(c.source() + ": rope_theta must be a positive number; got " + r.theta());
        }
        if (!(r.factor() > 0) || Double.isInfinite(r.factor())) {
            throw new ConfigException(c.source() + ": rope factor must be a positive number; got " + r.factor());
        }
        if (!(r.partialRotaryFactor() > 0 && r.partialRotaryFactor() <= 1)) {
            throw new ConfigException(c.source() + ": partial_rotary_factor must be in (0, 1]; got "
                    + r.partialRotaryFactor());
        }
        if (r.originalMaxPositions() <= 0) {
            throw new ConfigException(c.source() + ": original_max_position_embeddings must be positive; got "
                    + r.originalMaxPositions());
        }
    }
}
