package dev.smelt.model.tokenizer;

import dev.smelt.model.gguf.GgufFile;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Builds a tokenizer from GGUF metadata the way llama.cpp's {@code llama_vocab::load} does. Keys read:
 * {@code tokenizer.ggml.model} (llama | gpt2 | bert), {@code .pre}, {@code .tokens} (string[n_vocab]),
 * {@code .scores} (f32[n_vocab]), {@code .token_type} (i32[n_vocab]), {@code .merges} ("left right"[]),
 * {@code .bos/eos/eot/eom/unknown/padding/seperator/cls_token_id}, {@code .add_bos_token},
 * {@code .add_eos_token}, {@code .add_space_prefix}. Stateless.
 */
final class GgufTokenizerLoader {
    static final List<String> MODELS = List.of("llama", "gpt2", "bert");
    private static final Pattern BYTE_PIECE = Pattern.compile("<0x[0-9A-Fa-f]{2}>");

    private GgufTokenizerLoader() {
    }

    static Tokenizer load(GgufFile f) throws TokenizerFormatException {
        String file = String.valueOf(f.path());
        String model = f.getString("tokenizer.ggml.model", null);
        if (model == null) {
            throw new TokenizerFormatException(file + ": metadata key tokenizer.ggml.model is missing");
        }
        String[] tokens = f.getStringArray("tokenizer.ggml.tokens");
        if (tokens == null) {
            throw new TokenizerFormatException(file + ": metadata key tokenizer.ggml.tokens (string array) is missing");
        }
        float[] scores = f.getFloatArray("tokenizer.ggml.scores");
        int[] typeCodes = f.getIntArray("tokenizer.ggml.token_type");
        if (scores != null && scores.length != tokens.length || typeCodes != null && typeCodes.length != tokens.length) {
            throw new TokenizerFormatException(file + ": tokenizer.ggml.scores/token_type length ("
                    + (scores == null ? "-" : scores.length) + "/" + (typeCodes == null ? "-" : typeCodes.length)
                    + ") differs from tokenizer.ggml.tokens (" + tokens.length + ")");
        }
        TokenType[] types = new TokenType[tokens.length];
        for (int i = 0; i < types.length; i++) {
            types[i] = typeCodes == null ? TokenType.NORMAL
                    : TokenType.fromGguf(typeCodes[i], file + ": tokenizer.ggml.token_type[" + i + "]");
            // a byte token's piece is decoded as its hex digits: anything else would fail at load with a bare parse error
            if (types[i] == TokenType.BYTE && !BYTE_PIECE.matcher(tokens[i]).matches()) {
                throw new TokenizerFormatException(file + ": tokenizer.ggml.tokens[" + i + "] = " + dev.smelt.model.text.Quote.of(tokens[i])
                        + " has tokenizer.ggml.token_type BYTE but is not a byte piece <0xNN>");
            }
        }
        Vocabulary v = new Vocabulary(tokens, scores, types);
        switch (model) {
            case "llama" -> {
                v.bos = 1;
                v.eos = 2;
                v.unk = 0;
                v.addBos = true;
            }
            case "gpt2" -> {
                v.bos = 11;
                v.eos = 11;
                v.addBos = false;
            }
            case "bert" -> {
                v.bos = 101;
                v.eos = 102;
                v.unk = 100;
                v.sep = 102;
                v.cls = 101;
                v.pad = 0;
                v.addBos = true;
                v.addEos = true;
            }
            default -> throw new TokenizerFormatException(file + ": unsupported tokenizer.ggml.model " + dev.smelt.model.text.Quote.of(model)
                    + "; supported: " + MODELS);
        }
        v.bos = id(f, "tokenizer.ggml.bos_token_id", v.bos, tokens.length, file);
        v.eos = id(f, "tokenizer.ggml.eos_token_id", v.eos, tokens.length, file);
        v.unk = id(f, "tokenizer.ggml.unknown_token_id", v.unk, tokens.length, file);
        v.pad = id(f, "tokenizer.ggml.padding_token_id", v.pad, tokens.length, file);
        v.sep = id(f, "tokenizer.ggml.seperator_token_id", v.sep, tokens.length, file);
        v.cls = id(f, "tokenizer.ggml.cls_token_id", v.cls, tokens.length, file);
        int eot = id(f, "tokenizer.ggml.eot_token_id", -1, tokens.length, file);
        int eom = id(f, "tokenizer.ggml.eom_token_id", -1, tokens.length, file);
        v.addBos = f.getBool("tokenizer.ggml.add_bos_token", v.addBos);
        v.addEos = f.getBool("tokenizer.ggml.add_eos_token", v.addEos);
        v.detectEndOfGeneration(eot, eom);
        List<SpecialTokenSplitter.Special> specials = specials(v);
        return switch (model) {
            case "llama" -> new SentencePieceTokenizer(v, specials, f.getBool("tokenizer.ggml.add_space_prefix", true));
            case "gpt2" -> {
                String pre = f.getString("tokenizer.ggml.pre", "default");
                List<String> regexes;
                try {
                    regexes = PreTokenizers.forGguf(pre, file + ": tokenizer.ggml.pre");
                } catch (IllegalArgumentException e) {
                    throw new TokenizerFormatException(e.getMessage());
                }
                String[] merges = f.getStringArray("tokenizer.ggml.merges");
                if (merges == null) {
                    throw new TokenizerFormatException(file + ": metadata key tokenizer.ggml.merges is missing (gpt2 model)");
                }
                boolean ignoreMerges = List.of("llama3", "llama-bpe", "llama-v3").contains(pre);
                BpeModel bpe = new BpeModel(v, ignoreMerges, false, -1, false, merges.length);
                for (int i = 0; i < merges.length; i++) {
                    int sp = merges[i].indexOf(' ', 1);
                    if (sp < 0) {
                        throw new TokenizerFormatException(file + ": tokenizer.ggml.merges[" + i + "] = '" + merges[i]
                                + "' is not 'left right'");
                    }
                    bpe.addMerge(merges[i].substring(0, sp), merges[i].substring(sp + 1), i);
                }
                RegexSplitter splitter = new RegexSplitter(regexes);
                yield new BpeTokenizer(v, specials, s -> s, text -> splitter.split(text).stream().map(ByteLevel::encode).toList(), bpe,
                        BpeTokenizer.Decoding.BYTE_LEVEL, false);
            }
            default -> new WordPieceTokenizer(v, specials, true, true, true, "", Integer.MAX_VALUE);
        };
    }

    private static int id(GgufFile f, String key, int def, int n, String file) throws TokenizerFormatException {
        if (!f.has(key)) {
            return def;
        }
        long id = f.getLong(key, def);
        if (id < -1 || id >= n) {
            throw new TokenizerFormatException(file + ": " + key + " = " + id + " is outside the vocabulary [0, " + n + ")");
        }
        return (int) id;
    }

    /** Control, user-defined and unknown tokens are cut out of the text first (llama.cpp cache_special_tokens). */
    private static List<SpecialTokenSplitter.Special> specials(Vocabulary v) {
        List<SpecialTokenSplitter.Special> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            TokenType t = v.type(i);
            if (t == TokenType.CONTROL || t == TokenType.USER_DEFINED || t == TokenType.UNKNOWN) {
                out.add(new SpecialTokenSplitter.Special(i, v.piece(i), t != TokenType.USER_DEFINED, false, false));
            }
        }
        return out;
    }
}
