package dev.smelt.compress.quant;

import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

/**
 * The quantizer for each supported target type, and whole-matrix quantization spread over a
 * {@link ThreadPool}. Rows are independent in every ggml quantizer (the imatrix paths' σ² is per row or
 * per super-block), so splitting by rows gives the same bytes as llama-quantize's chunking.
 *
 * <p>Thread-safety: immutable registry; {@link #quantizeMatrix} may be called concurrently only with
 * different pools (a pool runs one loop at a time).
 */
public final class Quantizers {
    private static final Map<GgmlType, Quantizer> BY_TYPE = new EnumMap<>(GgmlType.class);

    static {
        for (Quantizer q : new Quantizer[] {
            new F16Quantizer(), new BF16Quantizer(), new Q8_0Quantizer(), new Q4_0Quantizer(), new Q4_1Quantizer(),
            new Q5_0Quantizer(), new Q5_1Quantizer(), new Q2_KQuantizer(), new Q3_KQuantizer(), new Q4_KQuantizer(),
            new Q5_KQuantizer(), new Q6_KQuantizer(), new IQ4_NLQuantizer(), new IQ4_XSQuantizer()}) {
            BY_TYPE.put(q.type(), q);
        }
    }

    private Quantizers() {
    }

    /** Types that have a quantizer. */
    public static Set<GgmlType> supported() {
        return BY_TYPE.keySet();
    }

    /**
     * The quantizer writing {@code type}.
     *
     * @throws IllegalArgumentException when there is none (e.g. F32, Q8_K, integer types)
     */
    public static Quantizer forType(GgmlType type) {
        Quantizer q = type == null ? null : BY_TYPE.get(type);
        if (q == null) {
            throw new IllegalArgumentException("no quantizer for type " + type + "; supported: " + BY_TYPE.keySet());
        }
        return q;
    }

    /**
     * Quantizes a row-major matrix.
     *
     * @param src        the matrix, row r at {@code src[r*cols ..]}                   // [rows, cols]
     * @param importance per-column importance shared by all rows, or null             // [cols] or null
     * @param pool       threads to use, or null to run on the caller
     * @return {@code rows × type.bytesFor(cols)} bytes, rows in order
     */
    public static byte[] quantizeMatrix(GgmlType type, float[] src, int rows, int cols, float[] importance, ThreadPool pool) {
        Quantizer q = forType(type);
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("matrix shape [" + rows + ", " + cols + "] must be positive");
        }
        if (src == null || src.length < (long) rows * cols) {
            throw new IllegalArgumentException("src holds " + (src == null ? 0 : src.length) + " values, shape ["
                    + rows + ", " + cols + "] needs " + (long) rows * cols);
        }
        if (importance != null && importance.length != cols) {
            throw new IllegalArgumentException("importance has " + importance.length + " entries, expected cols = " + cols);
        }
        int rowBytes = q.rowBytes(cols);
        long total = (long) rowBytes * rows;
        if (total > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("quantized matrix of " + total + " bytes does not fit in one array");
        }
        byte[] dst = new byte[(int) total];
        if (pool == null) {
            for (int r = 0; r < rows; r++) {
                q.quantizeRow(src, r * cols, cols, importance, dst, r * rowBytes);
            }
        } else {
            pool.parallelFor(rows, r -> q.quantizeRow(src, r * cols, cols, importance, dst, r * rowBytes));
        }
        return dst;
    }
}
