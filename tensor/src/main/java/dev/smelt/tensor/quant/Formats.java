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
        boolean simd = Simd.supported() && !Boolean.getBoolean("smelt.scalar");
        register(new F32Format(), simd ? new F32Vector() : null);
        register(new ScalarFormats.F16(), simd ? new F16Vector() : null);
        register(new ScalarFormats.BF16(), simd ? new BF16Vector() : null);
        register(new ScalarFormats.Q8_0(), simd ? new Q8_0Vector() : null);
        register(new ScalarFormats.Q4_0(), simd ? new Q4_0Vector() : null);
        register(new ScalarFormats.Q4_1(), null);
        register(new ScalarFormats.Q5_0(), simd ? new Q5_0Vector() : null);
        register(new ScalarFormats.Q5_1(), null);
        register(new ScalarFormats.Q2_K(), null);
        register(new ScalarFormats.Q3_K(), null);
        register(new ScalarFormats.Q4_K(), simd ? new Q4_KVector() : null);
        register(new ScalarFormats.Q5_K(), null);
        register(new ScalarFormats.Q6_K(), simd ? new Q6_KVector() : null);
        register(new ScalarFormats.IQ4_NL(), null);
        register(new ScalarFormats.IQ4_XS(), null);
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
