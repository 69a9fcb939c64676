package dev.smelt.model.tokenizer;

/** Token kinds as stored in GGUF {@code tokenizer.ggml.token_type} (values 1..6; 0 = undefined is read as NORMAL). Immutable. */
public enum TokenType {
    NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE;

    /** Maps the GGUF integer code; {@code where} names the file/field for the error message. */
    public static TokenType fromGguf(int code, String where) {
        return switch (code) {
            case 0, 1 -> NORMAL;
            case 2 -> UNKNOWN;
            case 3 -> CONTROL;
            case 4 -> USER_DEFINED;
            case 5 -> UNUSED;
            case 6 -> BYTE;
            default -> throw new IllegalArgumentException(where + ": unknown token type " + code + " (expected 0..6)");
        };
    }
}
