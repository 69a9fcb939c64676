package dev.smelt.runtime.constrain;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntPredicate;

/**
 * Constrains generation to JSON documents accepted by a compiled schema {@link Node}: a token is
 * allowed when its bytes (UTF-8, whatever the vocabulary: SentencePiece pieces and byte fallback, byte-level BPE)
 * extend the text so far to a prefix of some valid document, multi-byte characters included, and, inside an enum or
 * const value, leave a rest that the vocabulary can still spell ({@link Spelling}); end-of-generation
 * tokens are allowed only once the document is complete. Tokens that produce no bytes (control tokens)
 * are never allowed inside the document, so decoding cannot stall on them. Not thread-safe.
 */
public final class JsonConstraint implements TokenConstraint {
    /** Blank bytes allowed between JSON tokens unless a constructor says otherwise. */
    public static final int DEFAULT_WHITESPACE = JsonMatcher.MAX_WS;
    private final byte[][] tokenBytes;  // [vocab][bytes of each token]
    private final IntPredicate isEnd;
    private JsonMatcher matcher;
    private long bytes; // of the document so far
    private Spelling spelling; // what the vocabulary can spell, looked up on first need (shared per vocabulary)
    private final Function<String, int[]> encoder; // the model's tokenizer (no special tokens added), or null: no jump-forward

    /**
     * @param tokenBytes the bytes each token id decodes to
     * @param isEnd      end-of-generation tokens
     */
    public JsonConstraint(Node root, byte[][] tokenBytes, IntPredicate isEnd) {
        this(root, tokenBytes, isEnd, JsonMatcher.MAX_WS);
    }

    /** @param maxWhitespace blank bytes allowed between JSON tokens ({@link JsonMatcher#start(Node, int)}; 0: compact output only) */
    public JsonConstraint(Node root, byte[][] tokenBytes, IntPredicate isEnd, int maxWhitespace) {
        this(root, tokenBytes, isEnd, maxWhitespace, null);
    }

    /**
     * @param encoder the model's tokenizer (text to token ids, no BOS/EOS added), used to tokenize forced text for
     *                {@link #forcedTokens()}; null turns jump-forward off for this constraint
     */
    public JsonConstraint(Node root, byte[][] tokenBytes, IntPredicate isEnd, int maxWhitespace, Function<String, int[]> encoder) {
        this.encoder = encoder;
        this.tokenBytes = tokenBytes;
        this.isEnd = isEnd;
        this.matcher = JsonMatcher.start(root, maxWhitespace);
    }

    @Override
    public boolean allows(int token) {
        if (isEnd.test(token)) {
            return matcher.complete();
        }
        if (token < 0 || token >= tokenBytes.length) {
            return false;
        }
        byte[] b = tokenBytes[token];
        if (b.length == 0) {
            return false;
        }
        JsonMatcher next = matcher.feed(b);
        if (next.dead()) {
            return false;
        }
        List<String> rest = next.literalRemainders(); // inside an enum/const value: some value must stay spellable
        return rest == null || spelling().any(rest);
    }

    private Spelling spelling() {
        if (spelling == null) {
            spelling = Spelling.of(tokenBytes);
        }
        return spelling;
    }

    @Override
    public void accept(int token) {
        if (isEnd.test(token)) {
            return;
        }
        JsonMatcher next = matcher.feed(tokenBytes[token]);
        if (next.dead()) {
            throw new IllegalStateException("token " + token + " is not allowed by the JSON constraint");
        }
        matcher = next;
        bytes += tokenBytes[token].length;
    }

    @Override
    public String position() {
        return "at byte " + bytes + " of the JSON document";
    }

    @Override
    public boolean complete() {
        return matcher.complete();
    }

    /**
     * Jump-forward: the bytes the schema forces next ({@link JsonMatcher#forcedBytes}), cut to whole UTF-8 characters,
     * tokenized with the model's own tokenizer (as SGLang retokenizes; the vocabulary's greedy longest match could pick
     * tokens the model never saw in that place). Token boundaries: the last token of the forced text is not forced
     * unless the document ends with it, because the model's tokenization would often merge it with the text that
     * follows (a closing quote with the '}' after it, a key's last letters with the '":'): that token is left for the
     * model to sample, constrained as always. Each forced token is checked against the constraint, in order; the
     * forced run stops at the first one that is not allowed.
     */
    @Override
    public int[] forcedTokens() {
        if (encoder == null) {
            return NONE;
        }
        byte[] forced = JsonMatcher.utf8Whole(matcher.forcedBytes(MAX_FORCED_BYTES));
        if (forced.length == 0) {
            return NONE;
        }
        int[] ids = tokenize(forced);
        JsonMatcher m = matcher;
        int ok = 0;
        for (int id : ids) {
            if (id < 0 || id >= tokenBytes.length || isEnd.test(id) || tokenBytes[id].length == 0) {
                break;
            }
            JsonMatcher next = m.feed(tokenBytes[id]);
            List<String> rest = next.literalRemainders();
            if (next.dead() || rest != null && !spelling().any(rest)) {
                break;
            }
            m = next;
            ok++;
        }
        int keep = ok == ids.length && m.complete() ? ok : Math.min(ok, ids.length - 1);
        return keep <= 0 ? NONE : Arrays.copyOf(ids, keep);
    }

    /**
     * The model tokenizer's tokens for {@code text} as it would tokenize it in the middle of a document: tokens whose
     * bytes are exactly the text. A tokenizer that adds a dummy leading space (SentencePiece's add_space_prefix) is
     * given an anchor line break first, whose tokens are then dropped; when no token boundary falls between anchor and
     * text, nothing is forced (sampling goes on as usual).
     */
    private int[] tokenize(byte[] text) {
        String s = new String(text, StandardCharsets.UTF_8);
        try {
            int[] ids = encoder.apply(s);
            if (Arrays.equals(bytesOf(ids, 0, ids.length), text)) {
                return ids;
            }
            ids = encoder.apply(ANCHOR + s);
            byte[] all = bytesOf(ids, 0, ids.length);
            int prefix = all.length - text.length;
            if (prefix < 0 || !Arrays.equals(Arrays.copyOfRange(all, prefix, all.length), text)) {
                return NONE;
            }
            for (int k = 0, at = 0; k < ids.length && at <= prefix; at += bytesOf(ids, k, k + 1).length, k++) {
                if (at == prefix) {
                    return Arrays.copyOfRange(ids, k, ids.length);
                }
            }
            return NONE;
        } catch (RuntimeException e) { // a tokenizer that cannot tokenize the text: sample it as usual
            return NONE;
        }
    }

    private byte[] bytesOf(int[] ids, int from, int to) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (int i = from; i < to; i++) {
            if (ids[i] < 0 || ids[i] >= tokenBytes.length) {
                throw new IllegalArgumentException("token id " + ids[i] + " outside the vocabulary");
            }
            b.writeBytes(tokenBytes[ids[i]]);
        }
        return b.toByteArray();
    }

    private static final String ANCHOR = "\n";

    /** Forced text looked at in one jump: longer runs are rare (keys, enum values) and continue on the next jump. */
    static final int MAX_FORCED_BYTES = 256;
    private static final int[] NONE = new int[0];
}
