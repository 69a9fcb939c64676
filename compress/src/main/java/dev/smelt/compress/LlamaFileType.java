package dev.smelt.compress;

import dev.smelt.tensor.GgmlType;

/**
 * llama.cpp's {@code llama_ftype}: the file-level quantization recipe, with the number llama-quantize
 * writes to {@code general.file_type} and the default tensor type of each recipe
 * ({@code llama_ftype_get_default_type}). Only recipes whose tensor types smelt can write are listed
 * (the IQ1/IQ2/IQ3, ternary and MXFP4 recipes are not).
 *
 * <p>Thread-safety: immutable enum.
 */
public enum LlamaFileType {
    ALL_F32(0, GgmlType.F32),
    F16(1, GgmlType.F16),
    Q4_0(2, GgmlType.Q4_0),
    Q4_1(3, GgmlType.Q4_1),
    Q8_0(7, GgmlType.Q8_0),
    Q5_0(8, GgmlType.Q5_0),
    Q5_1(9, GgmlType.Q5_1),
    Q2_K(10, GgmlType.Q2_K),
    Q3_K_S(11, GgmlType.Q3_K),
    Q3_K_M(12, GgmlType.Q3_K),
    Q3_K_L(13, GgmlType.Q3_K),
    Q4_K_S(14, GgmlType.Q4_K),
    Q4_K_M(15, GgmlType.Q4_K),
    Q5_K_S(16, GgmlType.Q5_K),
    Q5_K_M(17, GgmlType.Q5_K),
    Q6_K(18, GgmlType.Q6_K),
    Q2_K_S(21, GgmlType.Q2_K),
    IQ4_NL(25, GgmlType.IQ4_NL),
    IQ4_XS(30, GgmlType.IQ4_XS),
    BF16(32, GgmlType.BF16);

    private final int id;
    private final GgmlType defaultType;

    LlamaFileType(int id, GgmlType defaultType) {
        this.id = id;
        this.defaultType = defaultType;
    }

    /** The LLAMA_FTYPE_* number stored in {@code general.file_type}. */
    public int id() {
        return id;
    }

    /** The type most tensors get before the mixture rules adjust it. */
    public GgmlType defaultType() {
        return defaultType;
    }

    /** The recipe with LLAMA_FTYPE number {@code id}, or null when unknown or unsupported. */
    public static LlamaFileType fromId(long id) {
        for (LlamaFileType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }

    /**
     * The recipe named as llama-quantize spells it, case-insensitive ("Q4_K_M", "f16", "F32").
     *
     * @throws IllegalArgumentException naming the supported recipes when unknown
     */
    public static LlamaFileType fromName(String name) {
        if ("F32".equalsIgnoreCase(name)) {
            return ALL_F32;
        }
        for (LlamaFileType t : values()) {
            if (t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown or unsupported file type '" + name + "'; supported: "
                + java.util.Arrays.toString(values()));
    }
}
