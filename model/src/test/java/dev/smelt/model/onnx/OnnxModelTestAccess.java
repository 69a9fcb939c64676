package dev.smelt.model.onnx;

/** Lets tests in other packages build the hand-made graph of {@link OnnxModelTest}. */
public final class OnnxModelTestAccess {
    private OnnxModelTestAccess() {
    }

    public static byte[] tinyModel() {
        return OnnxModelTest.model(OnnxModelTest.tinyGraph());
    }
}
