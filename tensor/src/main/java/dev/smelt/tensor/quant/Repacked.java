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
 * turns every format with a kernel on; a comma-separated list of formats ({@code SMELT_REPACK=Q4_K,Q5_0,Q8_0})
 * turns exactly those on (where they have a kernel); otherwise each format's default ({@link #defaultOn}) holds.
 */
public interface Repacked {
    int rows();

    int cols();

    /** out[r] = Σ_c W[r, c]·x[c] for one activation row x[cols]. */
    void matmul(ThreadPool pool, float[] x, float[] out);

    /**
     * out[b·rows + r] = Σ_c W[r, c]·x[b·cols + c] for {@code batch} activation rows, each quantized
     * once; a group's packed weights are reused from cache across the batch.
     */
    void matmul(ThreadPool pool, float[] x, int batch, float[] out);

    /** Whether {@code type} has an integer kernel that runs on this CPU. */
    static boolean supported(GgmlType type) {
        return switch (type) {
            case Q4_0 -> Q4_0x8.supported();
            case Q4_K -> Q4_Kx8.supported();
            case Q5_0 -> Q5_0x8.supported();
            case Q6_K -> Q6_Kx8.supported();
            case Q8_0 -> Interleaved8.supported();
            default -> false;
        };
    }

    /**
     * Per-format default with no flag set: on where the integer kernel measured faster than the F32
     * path at decode (Q4_K, Q5_0: 2–3× per core; Q4_0: 1.1–1.4×; docs/BENCHMARKS.md, issue 14) and its
     * KL divergence vs F32 on the shakespeare model stayed within llama.cpp's own. Its int8 activations
     * keep decoded logits within 2× of llama.cpp's distance from the float reference
     * (ForwardGoldenTest#repacked*), not within the 1e-4 float tolerance, so tests run with
     * {@code smelt.repack=false} (root pom) unless they opt in. Q6_K (1.5× per core) too: over the
     * 37,973 scored tokens of {@code smelt kld} on shakespeare-Q6_K its mean KLD is llama.cpp's own
     * (0.000594 vs 0.000593, F32 path 0.000368); one row of the 40-token golden at 2.25× llama.cpp's max
     * distance (0.099 vs 0.044) was a single-row fluctuation, not a bias. Q8_0 (Q8_0x8) stays opt-in: its
     * int8 × int8 pairs need a widening every two products, so it is only ~1.2× the F32 path per core on
     * a matrix in cache and equal once the weights stream from memory, where the F32 path already is at
     * decode (issue 14, docs/BENCHMARKS.md "Q8_0x8").
     */
    static boolean defaultOn(GgmlType type) {
        return type == GgmlType.Q4_0 || type == GgmlType.Q4_K || type == GgmlType.Q5_0 || type == GgmlType.Q6_K;
    }

    /**
     * Largest activation batch for which the integer kernel beats the format's F32 path (fused
     * small-batch dots or dequantized tile × GEMM); measured per format in KernelThroughput's batched
     * mode (docs/BENCHMARKS.md, issue 14): Q4_K, Q5_0 and Q6_K win at batches 1–2, Q4_0's fused
     * F32 small-batch kernel wins from 2. {@code -Dsmelt.repack.maxBatch=N} overrides it (e.g. to run
     * whole prompts through the integer kernels for a KL-divergence check).
     */
    static int batchLimit(GgmlType type) {
        Integer forced = Integer.getInteger("smelt.repack.maxBatch");
        if (forced != null) {
            return forced;
        }
        return switch (type) {
            case Q4_K, Q5_0, Q6_K -> 2;
            default -> 1;
        };
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
            default -> listed(flag, prop != null ? "-Dsmelt.repack" : "SMELT_REPACK").contains(type);
        };
    }

    /** A comma-separated list of formats (e.g. {@code Q4_K,Q5_0,Q8_0}): exactly those are repacked. */
    private static java.util.Set<GgmlType> listed(String flag, String source) {
        java.util.Set<GgmlType> types = java.util.EnumSet.noneOf(GgmlType.class);
        for (String name : flag.split(",")) {
            try {
                types.add(GgmlType.valueOf(name.trim().toUpperCase(java.util.Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + "='" + cut(flag) + "' is not one of 1/true/on/yes, 0/false/off/no"
                        + " or a comma-separated list of formats (e.g. Q4_K,Q5_0,Q8_0): '" + cut(name.trim()) + "' is not a format");
            }
        }
        return types;
    }

    /** Most characters of a flag value an error repeats: a pasted megabyte must not become the message. */
    static final int QUOTE_LIMIT = 64;

    private static String cut(String s) {
        return s.length() <= QUOTE_LIMIT ? s : s.substring(0, QUOTE_LIMIT) + "… (" + s.length() + " characters)";
    }

    /** Repacks {@code type} rows [rows, cols] at {@code offset} of {@code w}; the format must be {@link #supported}. */
    static Repacked repack(GgmlType type, MemorySegment w, long offset, int rows, int cols) {
        return switch (type) {
            case Q4_0 -> Q4_0x8.repack(w, offset, rows, cols);
            case Q4_K -> Q4_Kx8.repack(w, offset, rows, cols);
            case Q5_0 -> Q5_0x8.repack(w, offset, rows, cols);
            case Q6_K -> Q6_Kx8.repack(w, offset, rows, cols);
            case Q8_0 -> Q8_0x8.repack(w, offset, rows, cols);
            default -> throw new IllegalArgumentException("no repacked integer kernel for " + type);
        };
    }
}
