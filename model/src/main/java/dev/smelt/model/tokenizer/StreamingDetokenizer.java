package dev.smelt.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns generated ids into text one at a time, returning only complete UTF-8: bytes of a character split across
 * byte tokens ({@code <0xF0><0x9F><0x98><0x80>}) are held until the character is complete. Handles SentencePiece's
 * dummy leading space the way {@link Tokenizer#decode} does, so the concatenation of all returned strings plus
 * {@link #flush()} equals {@code decode(allIds, skipSpecial)}. Not thread-safe: one instance per generation.
 */
public final class StreamingDetokenizer {
    private final Tokenizer tokenizer;
    private final boolean skipSpecial;
    private final boolean stripFirstSpace;
    private byte[] pending = new byte[0]; // incomplete UTF-8 tail, at most 3 bytes
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
        ByteArrayOutputStream buf = new ByteArrayOutputStream(pending.length + b.length);
        buf.writeBytes(pending);
        buf.write(b, from, b.length - from);
        byte[] all = buf.toByteArray();
        int complete = completePrefix(all);
        pending = Arrays.copyOfRange(all, complete, all.length);
        return new String(all, 0, complete, StandardCharsets.UTF_8);
    }

    /** Returns whatever is still held (an unfinished character becomes U+FFFD) and resets the tail. */
    public String flush() {
        String s = new String(pending, StandardCharsets.UTF_8);
        pending = new byte[0];
        return s;
    }

    /** Bytes currently held back because they start an unfinished character. */
    public int pendingBytes() {
        return pending.length;
    }

    /**
     * Length of the longest prefix that does not end inside a still-completable UTF-8 sequence. Invalid bytes are
     * not held (they decode to U+FFFD right away), only a well-formed start of a multi-byte character.
     */
    static int completePrefix(byte[] b) {
        int n = b.length;
        for (int back = 1; back <= Math.min(3, n); back++) {
            int lead = b[n - back] & 0xFF;
            if ((lead & 0xC0) == 0x80) {
                continue; // continuation byte: look further back for its lead
            }
            int need = lead >= 0xF0 && lead <= 0xF4 ? 4 : lead >= 0xE0 ? (lead <= 0xEF ? 3 : 0) : lead >= 0xC2 ? 2 : 0;
            return need > back ? n - back : n;
        }
        return n;
    }
}
