// One device a backend can open: index, name, memory and free-form details (compute units, fp16...).
package dev.strata.engine.backend;

public record DeviceInfo(String backend, int index, String name, long memoryBytes, String details) {}
