package dev.smelt.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Assembles token bytes into text without ever emitting a broken UTF-8 sequence: the bytes of a
 * character split across tokens ({@code <0xF0><0x9F><0x98><0x80>}) are held until it completes. The one
 * place this rule is written: the detokenizer, the server's streams and {@code smelt run}'s output use it.
 * Not thread-safe: one instance per stream.
 */
public final class Utf8Assembler {
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream(4); // incomplete tail, at most 3 bytes

    /** Adds bytes; returns the text that became complete (possibly empty, never a broken character). */
    public String push(byte[] bytes) {
        return push(bytes, 0, bytes.length);
    }

    /** Adds {@code bytes[from, from + length)}; returns the text that became complete. */
    public String push(byte[] bytes, int from, int length) {
        byte[] all;
        if (pending.size() == 0) {
            all = from == 0 && length == bytes.length ? bytes : java.util.Arrays.copyOfRange(bytes, from, from + length);
        } else {
            pending.write(bytes, from, length);
            all = pending.toByteArray();
        }
        int complete = completePrefix(all);
        pending.reset();
        pending.write(all, complete, all.length - complete);
        return new String(all, 0, complete, StandardCharsets.UTF_8);
    }

    /** Returns whatever is still held (an unfinished character becomes U+FFFD) and resets the tail. */
    public String flush() {
        String s = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return s;
    }

    /** Bytes currently held back because they start an unfinished character. */
    public int pendingBytes() {
        return pending.size();
    }

    /**
     * Length of the longest prefix that does not end inside a still-completable UTF-8 sequence. Invalid
     * bytes are not held (they decode to U+FFFD right away), only a well-formed start of a multi-byte
     * character (lead C2–DF needs 2 bytes, E0–EF 3, F0–F4 4).
     */
    public static int completePrefix(byte[] b) {
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
