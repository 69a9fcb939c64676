package dev.smelt.runtime.constrain;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * Which byte strings a vocabulary can spell as a sequence of its tokens. A vocabulary without byte tokens (WordPiece)
 * cannot spell every character: the constraint must not start a literal, or a character of one, that no sequence of
 * tokens can finish, or decoding would end on half a value. Built once per vocabulary array (identity) and shared;
 * immutable after construction; thread-safe.
 */
final class Spelling {
    /** Longer tokens are not tried when spelling: a remainder of a literal is short, and shorter tokens cover it. */
    static final int MAX_TOKEN_BYTES = 48;
    private static final Map<byte[][], Spelling> BY_VOCABULARY = Collections.synchronizedMap(new WeakHashMap<>());

    private final Set<String> tokens = new HashSet<>(); // token bytes, one char per byte (ISO-8859-1)
    private final int longest;

    private Spelling(byte[][] vocab) {
        int max = 0;
        for (byte[] t : vocab) {
            if (t.length > 0 && t.length <= MAX_TOKEN_BYTES) {
                tokens.add(new String(t, StandardCharsets.ISO_8859_1));
                max = Math.max(max, t.length);
            }
        }
        this.longest = max;
    }

    /** The spelling of {@code vocab}, shared by every constraint over the same array. */
    static Spelling of(byte[][] vocab) {
        return BY_VOCABULARY.computeIfAbsent(vocab, Spelling::new);
    }

    /** Whether some of {@code remainders} (bytes one char each) is a sequence of tokens; the empty string is. */
    boolean any(List<String> remainders) {
        for (String r : remainders) {
            if (spells(r)) {
                return true;
            }
        }
        return false;
    }

    boolean spells(String bytes) {
        int n = bytes.length();
        boolean[] reach = new boolean[n + 1];
        reach[0] = true;
        for (int i = 0; i < n; i++) {
            if (!reach[i]) {
                continue;
            }
            for (int len = 1; len <= Math.min(longest, n - i); len++) {
                if (!reach[i + len] && tokens.contains(bytes.substring(i, i + len))) {
                    reach[i + len] = true;
                }
            }
        }
        return reach[n];
    }
}
