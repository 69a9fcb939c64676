package dev.smelt.tensor.quant;

import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.lang.foreign.MemorySegment;

/**
 * A weight matrix [rows, cols] repacked at load into a row-interleaved layout for an integer decode
 * kernel (activations quantized once per matmul to int8). Immutable; {@link #matmul} is thread-safe.
 *
 * <p>Policy ({@link #enabled}): {@code SMELT_REPACK=0} or {@code -Dsmelt.repack=false} turns every
 * format off (as llama.cpp's {@code --no-repack}); {@code SMELT_REPACK=1} or {@code -Dsmelt.repack=true}
 * turns every format with a kernel on; otherwise each format's default ({@link #defaultOn}) holds.
 */
public interface Repacked {
    int rows();

    int cols();

    /** out[r] = Σ_c W[r, c]·x[c] for one activation row x[cols]. */
    void matmul(ThreadPool pool, float[] x, float[] out);

    /** Whether {@code type} has an integer kernel that runs on this CPU. */
    static boolean supported(GgmlType type) {
        return switch (type) {
            case Q4_0 -> Q4_0x8.supported();
            case Q4_K -> Q4_Kx8.supported();
            case Q5_0 -> Q5_0x8.supported();
            default -> false;
        };
    }

    /**
     * Per-format default with no flag set: off for every format so far, because int8 activations move
     * logits past the golden tolerance for exactly dequantized weights (docs/BENCHMARKS.md, issue 14).
     */
    static boolean defaultOn(GgmlType type) {
        return false;
    }

    /** Whether loaders should repack {@code type} (see the class comment for the flags). */
    static boolean enabled(GgmlType type) {
        if (!supported(type)) {
            return false;
        }
        String prop = System.getProperty("smelt.repack");
        String env = System.getenv("SMELT_REPACK");
        String flag = prop != null ? prop : env;
        if (flag == null || flag.isBlank()) {
            return defaultOn(type);
        }
        return switch (flag.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "1", "true", "on", "yes" -> true;
            case "0", "false", "off", "no" -> false;
            default -> throw new IllegalArgumentException((prop != null ? "-Dsmelt.repack" : "SMELT_REPACK") + "='" + flag
                    + "' is not one of 1/true/on/yes or 0/false/off/no");
        };
    }

    /** Repacks {@code type} rows [rows, cols] at {@code offset} of {@code w}; the format must be {@link #supported}. */
    static Repacked repack(GgmlType type, MemorySegment w, long offset, int rows, int cols) {
        return switch (type) {
            case Q4_0 -> Q4_0x8.repack(w, offset, rows, cols);
            case Q4_K -> Q4_Kx8.repack(w, offset, rows, cols);
            case Q5_0 -> Q5_0x8.repack(w, offset, rows, cols);
            default -> throw new IllegalArgumentException("no repacked integer kernel for " + type);
        };
    }
}
