package dev.smelt.tensor;

/**
 * ggml tensor element types, with the numeric ids GGUF files store and the block layout of each.
 *
 * <p>A row of {@code n} elements of a quantized type occupies {@code n / blockSize * typeSize} bytes;
 * {@code n} must be a multiple of {@link #blockSize()}. Ids not listed here (removed or exotic types)
 * are rejected by {@link #fromId(int)}.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24),
    Q8_0(8, 32, 34),
    Q8_1(9, 32, 36),
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),
    IQ4_NL(20, 32, 18),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    BF16(30, 1, 2);

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int blockSize;
    private final int typeSize;

    GgmlType(int id, int blockSize, int typeSize) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
    }

    /** The id GGUF stores for this type. */
    public int id() {
        return id;
    }

    /** Elements per block (1 for plain types). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int typeSize() {
        return typeSize;
    }

    /** True for block-quantized types (block size above 1). */
    public boolean isQuantized() {
        return blockSize > 1;
    }

    /** Bits per weight, including block scales. */
    public double bitsPerWeight() {
        return typeSize * 8.0 / blockSize;
    }

    /**
     * Bytes needed for {@code elements} elements.
     *
     * @throws IllegalArgumentException if {@code elements} is negative or not a multiple of the block size
     */
    public long bytesFor(long elements) {
        if (elements < 0 || elements % blockSize != 0) {
            throw new IllegalArgumentException(
                    "element count " + elements + " is not a non-negative multiple of " + name() + "'s block size " + blockSize);
        }
        return Math.multiplyExact(elements / blockSize, (long) typeSize);
    }

    /** The type with GGUF id {@code id}, or null when the id is unknown or unsupported. */
    public static GgmlType fromId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }

    /** The type named as llama.cpp spells it (case-insensitive), e.g. "Q4_K" or "bf16". */
    public static GgmlType fromName(String name) {
        for (GgmlType t : values()) {
            if (t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown tensor type '" + name + "'");
    }
}
