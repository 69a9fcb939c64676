package dev.smelt.model.tokenizer;

import java.util.OptionalInt;

/**
 * Text ⇄ token ids for one model vocabulary, matching llama.cpp (GGUF) or Hugging Face (tokenizer.json).
 * Implementations are immutable after construction and thread-safe.
 */
public interface Tokenizer {
    /**
     * Encodes {@code text}.
     *
     * @param addSpecial   add BOS/EOS (or [CLS]/[SEP]) according to the model's own rules
     * @param parseSpecial recognise control tokens written in the text (e.g. {@code <|im_start|>}); user-defined
     *                     added tokens are always recognised, as in llama.cpp and Hugging Face
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /** Decodes ids, rendering control tokens as their text; invalid UTF-8 becomes U+FFFD. */
    default String decode(int[] ids) {
        return decode(ids, false);
    }

    /** Decodes ids; with {@code skipSpecial} control tokens (BOS, EOS, chat markers) contribute nothing. */
    String decode(int[] ids, boolean skipSpecial);

    /** Raw bytes that token {@code id} contributes when detokenized (control tokens: their text). */
    byte[] tokenBytes(int id);

    /** True for control / special tokens (BOS, EOS, chat markers) that decoding may skip. */
    boolean isSpecial(int id);

    int vocabSize();

    /** Beginning-of-sequence id, or -1 when the vocabulary has none. */
    int bos();

    /** End-of-sequence id, or -1 when the vocabulary has none. */
    int eos();

    /** True when generating {@code id} ends a turn (eos, eot, eom, {@code <|im_end|>}, {@code <end_of_turn>}, ...). */
    boolean isEndOfGeneration(int id);

    /** The vocabulary entry (as stored: SPM '▁', byte-level 'Ġ', {@code <0x0A>}) of {@code id}. */
    String piece(int id);

    /** The id of an exact vocabulary entry. */
    OptionalInt tokenId(String piece);
}
