package dev.smelt.model.tokenizer;

import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A token table: piece text, score and type per id, the text → id map and the special ids. Immutable and
 * thread-safe once built.
 */
public final class Vocabulary {
    private final String[] pieces;      // [n_vocab]
    private final float[] scores;       // [n_vocab] SentencePiece log-probabilities (0 when absent)
    private final TokenType[] types;    // [n_vocab]
    private final Map<String, Integer> ids;
    private final int maxPieceChars;
    int bos = -1, eos = -1, unk = -1, pad = -1, sep = -1, cls = -1;
    boolean addBos, addEos;
    final BitSet endOfGeneration = new BitSet();

    public Vocabulary(String[] pieces, float[] scores, TokenType[] types) {
        if (pieces.length == 0) {
            throw new IllegalArgumentException("empty vocabulary");
        }
        if (scores != null && scores.length != pieces.length || types != null && types.length != pieces.length) {
            throw new IllegalArgumentException("vocabulary arrays differ in length: " + pieces.length + " pieces, "
                    + (scores == null ? "-" : scores.length) + " scores, " + (types == null ? "-" : types.length) + " types");
        }
        this.pieces = pieces;
        this.scores = scores != null ? scores : new float[pieces.length];
        if (types == null) {
            types = new TokenType[pieces.length];
            Arrays.fill(types, TokenType.NORMAL);
        }
        this.types = types;
        this.ids = HashMap.newHashMap(pieces.length);
        int max = 0;
        for (int i = 0; i < pieces.length; i++) {
            if (pieces[i] == null) {
                throw new IllegalArgumentException("vocabulary entry " + i + " is missing");
            }
            // Last occurrence wins, as in llama.cpp's token_to_id (duplicates are unused filler entries).
            ids.put(pieces[i], i);
            max = Math.max(max, pieces[i].length());
        }
        this.maxPieceChars = max;
    }

    public int size() {
        return pieces.length;
    }

    public String piece(int id) {
        check(id);
        return pieces[id];
    }

    public float score(int id) {
        check(id);
        return scores[id];
    }

    public TokenType type(int id) {
        check(id);
        return types[id];
    }

    void setType(int id, TokenType t) {
        check(id);
        types[id] = t;
    }

    /** Id of the exact piece, or -1. */
    public int id(String piece) {
        Integer i = ids.get(piece);
        return i == null ? -1 : i;
    }

    public OptionalInt tokenId(String piece) {
        Integer i = ids.get(piece);
        return i == null ? OptionalInt.empty() : OptionalInt.of(i);
    }

    public int maxPieceChars() {
        return maxPieceChars;
    }

    public int bos() {
        return bos;
    }

    public int eos() {
        return eos;
    }

    public int unk() {
        return unk;
    }

    public boolean addBos() {
        return addBos;
    }

    public boolean addEos() {
        return addEos;
    }

    public boolean isEndOfGeneration(int id) {
        return id >= 0 && endOfGeneration.get(id);
    }

    void check(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " out of range [0, " + pieces.length + ")");
        }
    }

    /** Marks as end-of-generation every id that is eos or whose piece is a well-known end-of-turn marker. */
    void detectEndOfGeneration(int... extra) {
        for (int e : extra) {
            if (e >= 0 && e < pieces.length) {
                endOfGeneration.set(e);
            }
        }
        if (eos >= 0) {
            endOfGeneration.set(eos);
        }
        // The same list llama.cpp uses to find EOG tokens when the GGUF does not name them.
        for (String s : new String[] {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<｜end▁of▁sentence｜>", "<|return|>", "<|call|>"}) {
            int id = id(s);
            if (id >= 0 && types[id] != TokenType.NORMAL) {
                endOfGeneration.set(id);
            }
        }
    }
}
