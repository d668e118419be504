// What every architecture has in common: the config it was built from. Decoder-only and
// encoder-only models extend it with their own graph builders.
package dev.strata.engine.model;

import dev.strata.loader.HfConfig;

public interface ModelDefinition {
    HfConfig config();
}
