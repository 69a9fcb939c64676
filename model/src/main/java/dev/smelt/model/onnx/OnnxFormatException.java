package dev.smelt.model.onnx;

/** A malformed or unsupported ONNX file; the message names the source, the byte offset or the node. */
public final class OnnxFormatException extends RuntimeException {
    public OnnxFormatException(String message) {
        super(message);
    }
}
