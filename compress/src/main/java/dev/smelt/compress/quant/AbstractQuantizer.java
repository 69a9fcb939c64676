package dev.smelt.compress.quant;

import dev.smelt.tensor.GgmlType;

/**
 * Argument checking shared by every {@link Quantizer}; subclasses implement {@link #quantize} on
 * validated input. Thread-safety: stateless subclasses only, so instances are safe to share.
 */
abstract class AbstractQuantizer implements Quantizer {
    private final GgmlType type;

    AbstractQuantizer(GgmlType type) {
        this.type = type;
    }

    @Override
    public final GgmlType type() {
        return type;
    }

    @Override
    public final void quantizeRow(float[] src, int srcOff, int n, float[] importance, byte[] dst, int dstOff) {
        if (src == null || dst == null) {
            throw new IllegalArgumentException(type + ": src and dst must not be null");
        }
        if (n <= 0 || n % type.blockSize() != 0) {
            throw new IllegalArgumentException(
                    type + ": row length " + n + " is not a positive multiple of the block size " + type.blockSize());
        }
        if (srcOff < 0 || srcOff > src.length - n) {
            throw new IllegalArgumentException(
                    type + ": source range [" + srcOff + ", " + ((long) srcOff + n) + ") outside array of length " + src.length);
        }
        int bytes = rowBytes(n);
        if (dstOff < 0 || dstOff > dst.length - bytes) {
            throw new IllegalArgumentException(type + ": destination range [" + dstOff + ", " + ((long) dstOff + bytes)
                    + ") outside array of length " + dst.length);
        }
        if (importance != null && importance.length < n) {
            throw new IllegalArgumentException(
                    type + ": importance has " + importance.length + " entries, the row has " + n + " columns");
        }
        quantize(src, srcOff, n, importance, dst, dstOff);
    }

    /** Quantizes validated input; {@code qw} is null or holds at least {@code n} entries. */
    abstract void quantize(float[] x, int xo, int n, float[] qw, byte[] y, int yo);
}
