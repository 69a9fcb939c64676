package dev.smelt.model.tokenizer;

import dev.smelt.model.ModelException;
import dev.smelt.model.gguf.GgufFile;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The token table of a GGUF model ({@code tokenizer.ggml.*}): pieces, scores, types, special ids and
 * add-BOS/EOS flags. Token types follow llama.cpp: 1 normal, 2 unknown, 3 control, 4 user-defined,
 * 5 unused, 6 byte. Immutable, thread-safe.
 */
public final class Vocabulary {
    public static final int NORMAL = 1;
    public static final int UNKNOWN = 2;
    public static final int CONTROL = 3;
    public static final int USER_DEFINED = 4;
    public static final int UNUSED = 5;
    public static final int BYTE = 6;

    final String[] pieces;
    final float[] scores;
    final int[] types;
    final Map<String, Integer> ids;
    final int bos;
    final int eos;
    final int unk;
    final boolean addBos;
    final boolean addEos;
    final boolean addSpacePrefix;
    final Set<Integer> endOfGeneration;
    /** Control and user-defined tokens matched in text when parsing specials, longest first. */
    final List<String> specials;

    Vocabulary(GgufFile f) {
        pieces = f.getStringArray("tokenizer.ggml.tokens");
        if (pieces == null || pieces.length == 0) {
            throw new ModelException(f.path() + ": metadata 'tokenizer.ggml.tokens' is missing or empty");
        }
        float[] s = f.getFloatArray("tokenizer.ggml.scores");
        scores = s != null ? s : new float[pieces.length];
        int[] t = f.getIntArray("tokenizer.ggml.token_type");
        types = t != null ? t : filled(pieces.length, NORMAL);
        if (scores.length != pieces.length || types.length != pieces.length) {
            throw new ModelException(f.path() + ": tokenizer.ggml.scores/token_type lengths (" + scores.length + ", " + types.length
                    + ") differ from tokenizer.ggml.tokens (" + pieces.length + ")");
        }
        ids = new HashMap<>(pieces.length * 2);
        for (int i = 0; i < pieces.length; i++) {
            ids.putIfAbsent(pieces[i], i);
        }
        bos = f.getInt("tokenizer.ggml.bos_token_id", -1);
        eos = f.getInt("tokenizer.ggml.eos_token_id", -1);
        unk = f.getInt("tokenizer.ggml.unknown_token_id", -1);
        String model = f.getString("tokenizer.ggml.model", "llama");
        addBos = f.getBool("tokenizer.ggml.add_bos_token", model.equals("llama"));
        addEos = f.getBool("tokenizer.ggml.add_eos_token", false);
        addSpacePrefix = f.getBool("tokenizer.ggml.add_space_prefix", model.equals("llama"));
        endOfGeneration = new HashSet<>();
        for (String key : new String[] {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"}) {
            int id = f.getInt(key, -1);
            if (id >= 0) {
                endOfGeneration.add(id);
            }
        }
        for (String p : new String[] {"<|eot_id|>", "<|im_end|>", "<end_of_turn>", "<|end|>", "<|endoftext|>", "<|eom_id|>"}) {
            Integer id = ids.get(p);
            if (id != null && (types[id] == CONTROL || types[id] == USER_DEFINED)) {
                endOfGeneration.add(id);
            }
        }
        List<String> sp = new ArrayList<>();
        for (int i = 0; i < pieces.length; i++) {
            if ((types[i] == CONTROL || types[i] == USER_DEFINED) && !pieces[i].isEmpty()) {
                sp.add(pieces[i]);
            }
        }
        sp.sort((a, b) -> Integer.compare(b.length(), a.length()));
        specials = List.copyOf(sp);
    }

    private static int[] filled(int n, int v) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    int size() {
        return pieces.length;
    }

    boolean isControl(int id) {
        return types[id] == CONTROL;
    }
}
