package dev.smelt.tensor.quant;

import dev.smelt.tensor.GgmlType;
import java.util.EnumMap;
import java.util.Map;

/**
 * Registry of weight formats: {@link #of} returns the fastest implementation for a type,
 * {@link #reference} the scalar oracle. Chosen once per type; thread-safe.
 */
public final class Formats {
    private static final Map<GgmlType, WeightFormat> REFERENCE = new EnumMap<>(GgmlType.class);
    private static final Map<GgmlType, WeightFormat> FAST = new EnumMap<>(GgmlType.class);

    static {
        register(new F32Format(), null);
    }

    private Formats() {
    }

    private static void register(WeightFormat reference, WeightFormat fast) {
        REFERENCE.put(reference.type(), reference);
        FAST.put(reference.type(), fast != null ? fast : reference);
    }

    /** True when tensors of {@code type} can be decoded and multiplied. */
    public static boolean supports(GgmlType type) {
        return REFERENCE.containsKey(type);
    }

    /** The fastest implementation for {@code type}. */
    public static WeightFormat of(GgmlType type) {
        WeightFormat f = FAST.get(type);
        if (f == null) {
            throw new IllegalArgumentException("tensor type " + type + " is not supported; supported: " + REFERENCE.keySet());
        }
        return f;
    }

    /** The scalar reference implementation for {@code type}. */
    public static WeightFormat reference(GgmlType type) {
        WeightFormat f = REFERENCE.get(type);
        if (f == null) {
            throw new IllegalArgumentException("tensor type " + type + " is not supported; supported: " + REFERENCE.keySet());
        }
        return f;
    }
}
