package dev.smelt.model.tokenizer;

/** Text ↔ token ids for one vocabulary. Implementations are immutable and thread-safe. */
public interface Tokenizer {
    /**
     * @param addSpecial   add BOS/EOS as the vocabulary specifies
     * @param parseSpecial recognize control/special tokens written in the text (e.g. {@code <|im_start|>})
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /** The raw bytes a token contributes to decoded text (control tokens: none). May be a partial UTF-8 sequence. */
    byte[] tokenBytes(int id);

    /** Decodes ids to text (control tokens omitted; invalid UTF-8 becomes U+FFFD). */
    default String decode(int[] ids) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int id : ids) {
            out.writeBytes(tokenBytes(id));
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    int vocabSize();

    /** BOS id or −1. */
    int bos();

    /** EOS id or −1. */
    int eos();

    /** True for tokens that end generation (EOS, EOT, end-of-turn markers). */
    boolean isEndOfGeneration(int id);

    /** The vocabulary's piece for {@code id}, as stored. */
    String piece(int id);

    /** Id of an exact piece, or −1. */
    int tokenId(String piece);
}
