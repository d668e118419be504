// An ONNX file (or the protobuf encoding under it) that is malformed, unsupported or not the model expected.
package dev.strata.loader.onnx;

import java.io.IOException;

public class OnnxException extends IOException {

    public OnnxException(String message) {
        super(message);
    }

    public OnnxException(String message, Throwable cause) {
        super(message, cause);
    }
}
