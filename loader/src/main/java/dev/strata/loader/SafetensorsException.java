// A safetensors file, shard index or weight directory that is malformed or inconsistent.
package dev.strata.loader;

import java.io.IOException;

public class SafetensorsException extends IOException {

    public SafetensorsException(String message) {
        super(message);
    }

    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
