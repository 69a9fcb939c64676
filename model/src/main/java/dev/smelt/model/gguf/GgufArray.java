package dev.smelt.model.gguf;

/**
 * A GGUF metadata array. {@code values} holds, by element type: int[] for (U)INT8/16/32 (UINT32 as raw
 * bits), long[] for (U)INT64, float[] for FLOAT32, double[] for FLOAT64, boolean[] for BOOL,
 * String[] for STRING, GgufArray[] for nested arrays.
 */
public record GgufArray(GgufValueType elementType, Object values) {
    public int length() {
        return switch (values) {
            case int[] a -> a.length;
            case long[] a -> a.length;
            case float[] a -> a.length;
            case double[] a -> a.length;
            case boolean[] a -> a.length;
            case String[] a -> a.length;
            case GgufArray[] a -> a.length;
            default -> throw new IllegalStateException("unexpected array storage " + values.getClass());
        };
    }
}
