package dev.smelt.model.tokenizer;

/**
 * Turns generated ids into text one at a time, returning only complete UTF-8: bytes of a character split across
 * byte tokens ({@code <0xF0><0x9F><0x98><0x80>}) are held until the character is complete ({@link Utf8Assembler}). Handles SentencePiece's
 * dummy leading space the way {@link Tokenizer#decode} does, so the concatenation of all returned strings plus
 * {@link #flush()} equals {@code decode(allIds, skipSpecial)}. Not thread-safe: one instance per generation.
 */
public final class StreamingDetokenizer {
    private final Tokenizer tokenizer;
    private final boolean skipSpecial;
    private final boolean stripFirstSpace;
    private final Utf8Assembler utf8 = new Utf8Assembler();
    private boolean first = true;

    /** @param skipSpecial control tokens (BOS, EOS, chat markers) produce no text */
    public StreamingDetokenizer(Tokenizer tokenizer, boolean skipSpecial) {
        if (tokenizer == null) {
            throw new IllegalArgumentException("tokenizer must not be null");
        }
        this.tokenizer = tokenizer;
        this.skipSpecial = skipSpecial;
        this.stripFirstSpace = tokenizer instanceof AbstractTokenizer a && a.stripsFirstSpaceOnDecode();
    }

    /** Feeds one id; returns the text that became complete (possibly empty, never a broken character). */
    public String feed(int id) {
        if (skipSpecial && tokenizer.isSpecial(id)) {
            return "";
        }
        byte[] b = tokenizer instanceof AbstractTokenizer a ? a.tokenBytesShared(id) : tokenizer.tokenBytes(id);
        int from = first && stripFirstSpace && b.length > 0 && b[0] == ' ' ? 1 : 0;
        first = false;
        return utf8.push(b, from, b.length - from);
    }

    /** Returns whatever is still held (an unfinished character becomes U+FFFD) and resets the tail. */
    public String flush() {
        return utf8.flush();
    }

    /** Bytes currently held back because they start an unfinished character. */
    public int pendingBytes() {
        return utf8.pendingBytes();
    }
}
