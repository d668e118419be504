// A config.json or generation_config.json that is malformed or describes an impossible model.
package dev.strata.loader;

import java.io.IOException;

public class ConfigException extends IOException {

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
