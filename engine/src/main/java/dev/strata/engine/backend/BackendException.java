// A backend failure: a device that cannot be opened, a native call that failed, a kernel that
// did not compile. The message names the call, the kernel and the device.
package dev.strata.engine.backend;

public class BackendException extends RuntimeException {
    public BackendException(String message) { super(message); }

    public BackendException(String message, Throwable cause) { super(message, cause); }
}
