// Memory owned by a device (host memory for the CPU backend). Freed with the device or by close().
package dev.strata.engine.backend;

public interface DeviceBuffer extends AutoCloseable {
    long byteSize();

    @Override void close();
}
