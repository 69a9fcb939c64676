package dev.smelt.runtime.constrain;

import java.util.List;
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
    private final byte[][] tokenBytes;  // [vocab][bytes of each token]
    private final IntPredicate isEnd;
    private JsonMatcher matcher;
    private long bytes; // of the document so far
    private Spelling spelling; // what the vocabulary can spell, looked up on first need (shared per vocabulary)

    /**
     * @param tokenBytes the bytes each token id decodes to
     * @param isEnd      end-of-generation tokens
     */
    public JsonConstraint(Node root, byte[][] tokenBytes, IntPredicate isEnd) {
        this(root, tokenBytes, isEnd, JsonMatcher.MAX_WS);
    }

    /** @param maxWhitespace blank bytes allowed between JSON tokens ({@link JsonMatcher#start(Node, int)}; 0: compact output only) */
    public JsonConstraint(Node root, byte[][] tokenBytes, IntPredicate isEnd, int maxWhitespace) {
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
}
