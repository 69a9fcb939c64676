package dev.smelt.server;

/** What the server needs from a model's tokenizer. Implementations are thread-safe. */
public interface TextCodec {
    /** Token ids of {@code text}; {@code addSpecial} adds BOS/EOS per the model; special tokens in the text are parsed. */
    int[] encode(String text, boolean addSpecial);

    /** The raw bytes token {@code id} contributes to the output text (may be a partial UTF-8 sequence). */
    byte[] tokenBytes(int id);

    /** True for tokens that end generation (EOS, EOT, end-of-turn…). */
    boolean isEndOfGeneration(int id);

    /** The token that ends a constrained generation (EOS), or −1. */
    int eos();

    /** The bytes of token {@code id} including control tokens' own text (tool-call markers such as {@code [TOOL_CALLS]}). */
    default byte[] rawTokenBytes(int id) {
        return tokenBytes(id);
    }

    /** Vocabulary size. */
    int vocabSize();
}
