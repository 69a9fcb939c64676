package dev.smelt.model.gguf;

/**
 * One metadata value with its declared type. {@code value} is a Long for every integer type (unsigned
 * values zero-extended), Float, Double, Boolean, String, or {@link GgufArray}.
 */
public record GgufValue(GgufValueType type, Object value) {

    public static GgufValue string(String s) {
        return new GgufValue(GgufValueType.STRING, s);
    }

    public static GgufValue uint32(long v) {
        return new GgufValue(GgufValueType.UINT32, v);
    }

    public static GgufValue int32(long v) {
        return new GgufValue(GgufValueType.INT32, v);
    }

    public static GgufValue float32(float v) {
        return new GgufValue(GgufValueType.FLOAT32, v);
    }

    public static GgufValue bool(boolean v) {
        return new GgufValue(GgufValueType.BOOL, v);
    }

    public static GgufValue array(GgufValueType elementType, Object values) {
        return new GgufValue(GgufValueType.ARRAY, new GgufArray(elementType, values));
    }
}
