package dev.smelt.compress.quant;

import dev.smelt.tensor.GgmlType;

/**
 * Converts rows of fp32 weights into one ggml storage type, byte-identical to what llama.cpp's
 * {@code llama-quantize} writes (it calls {@code ggml_quantize_chunk} → {@code quantize_<type>}).
 *
 * <p>A row of {@code n} floats becomes {@code type().bytesFor(n)} bytes: {@code n / blockSize} blocks of
 * {@code typeSize} bytes each, in order. Implementations are stateless and thread-safe, so rows of a
 * matrix may be quantized concurrently (see {@link Quantizers#quantizeMatrix}).
 */
public interface Quantizer {

    /** The ggml type this quantizer writes. */
    GgmlType type();

    /**
     * Quantizes one row.
     *
     * @param src        source values; the row is {@code src[srcOff .. srcOff+n)}          // [n]
     * @param n          elements in the row; a positive multiple of {@code type().blockSize()}
     * @param importance per-column importance (llama.cpp's imatrix {@code quant_weights}) for this row's
     *                   columns, index 0 = column 0, or null for none; types that ignore it (Q8_0, F16,
     *                   BF16) accept and ignore it                                             // [n] or null
     * @param dst        destination; receives {@code type().bytesFor(n)} bytes at {@code dstOff}
     * @throws IllegalArgumentException for a bad length, offset or importance length
     */
    void quantizeRow(float[] src, int srcOff, int n, float[] importance, byte[] dst, int dstOff);

    /** Bytes one row of {@code n} elements takes. */
    default int rowBytes(int n) {
        return Math.toIntExact(type().bytesFor(n));
    }
}
