package dev.smelt.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * BERT WordPiece. Text is cleaned (control characters dropped), NFD-normalized, lower-cased, optionally
 * stripped of accents, and split into words at whitespace, punctuation (Unicode P plus ASCII symbols) and CJK
 * ideographs; each word is then matched greedily longest-first. Two vocabulary spellings are supported:
 * llama.cpp's GGUF one (word-initial pieces carry a '▁' prefix, continuations are bare) and Hugging Face's
 * (continuations carry {@code ##}). Adds [CLS] … [SEP] when asked for special tokens. Immutable, thread-safe.
 */
final class WordPieceTokenizer extends AbstractTokenizer {
    private final boolean ggufStyle;
    private final boolean stripAccents;
    private final boolean lowercase;
    private final String continuation;   // "##" for Hugging Face
    private final int maxWordChars;      // longer words become [UNK] (Hugging Face: 100)

    WordPieceTokenizer(Vocabulary vocab, List<SpecialTokenSplitter.Special> specials, boolean ggufStyle,
            boolean lowercase, boolean stripAccents, String continuation, int maxWordChars) {
        super(vocab, specials);
        this.ggufStyle = ggufStyle;
        this.stripAccents = stripAccents;
        this.lowercase = lowercase;
        this.continuation = continuation;
        this.maxWordChars = maxWordChars;
        precomputeBytes();
    }

    boolean ggufStyle() {
        return ggufStyle;
    }

    boolean lowercases() {
        return lowercase;
    }

    boolean stripsAccents() {
        return stripAccents;
    }

    @Override
    protected int prefixId() {
        return vocab.addBos ? (vocab.cls >= 0 ? vocab.cls : vocab.bos) : -1;
    }

    @Override
    protected int suffixId() {
        return vocab.addEos ? (vocab.sep >= 0 ? vocab.sep : vocab.eos) : -1;
    }

    @Override
    protected boolean stripsFirstSpace() {
        return true;
    }

    @Override
    protected byte[] computeBytes(int id) {
        String p = vocab.piece(id);
        String text;
        if (ggufStyle) {
            text = p.replace(SentencePieceTokenizer.SPACE, ' ');
        } else {
            text = p.startsWith(continuation) ? p.substring(continuation.length()) : " " + p;
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static boolean isChinese(int c, boolean llamaCpp) {
        return c >= 0x4E00 && c <= 0x9FFF || c >= 0x3400 && c <= 0x4DBF || c >= 0x20000 && c <= 0x2A6DF
                || c >= 0x2A700 && c <= 0x2B73F || c >= 0x2B740 && c <= 0x2B81F || c >= 0x2B920 && c <= 0x2CEAF
                || c >= 0xF900 && c <= 0xFAFF || c >= 0x2F800 && c <= 0x2FA1F
                // llama.cpp also isolates CJK punctuation and full-width forms.
                || llamaCpp && (c >= 0x3000 && c <= 0x303F || c >= 0xFF00 && c <= 0xFFEF);
    }

    static boolean isWhitespace(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x85
                || Character.getType(c) == Character.SPACE_SEPARATOR || c == 0x2028 || c == 0x2029;
    }

    static boolean isControl(int c) {
        int t = Character.getType(c);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.PRIVATE_USE
                || t == Character.SURROGATE || t == Character.UNASSIGNED;
    }

    static boolean isPunctuation(int c) {
        if (c < 0x7F) {
            return c >= 33 && c <= 47 || c >= 58 && c <= 64 || c >= 91 && c <= 96 || c >= 123 && c <= 126;
        }
        return switch (Character.getType(c)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                    Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                    Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    /** Cleans, normalizes and splits text into words. */
    List<String> words(String text) {
        // llama.cpp always decomposes; Hugging Face only when stripping accents.
        String nfd = ggufStyle || stripAccents ? Normalizer.normalize(text, Normalizer.Form.NFD) : text;
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < nfd.length(); ) {
            int c = nfd.codePointAt(i);
            i += Character.charCount(c);
            if (isWhitespace(c)) {
                flush(cur, words);
                continue;
            }
            if (c == 0 || c == 0xFFFD || isControl(c)) {
                continue;
            }
            if (stripAccents && Character.getType(c) == Character.NON_SPACING_MARK) {
                continue;
            }
            String lower = !lowercase ? Character.toString(c) : ggufStyle ? Character.toString(Character.toLowerCase(c))
                    : Character.toString(c).toLowerCase(Locale.ROOT);
            if (isPunctuation(c) || isChinese(c, ggufStyle)) {
                flush(cur, words);
                words.add(lower);
            } else {
                cur.append(lower);
            }
        }
        flush(cur, words);
        return words;
    }

    private static void flush(StringBuilder cur, List<String> words) {
        if (!cur.isEmpty()) {
            words.add(cur.toString());
            cur.setLength(0);
        }
    }

    @Override
    protected void encodeText(String text, boolean afterSpecial, IntList out) {
        int maxPiece = vocab.maxPieceChars();
        for (String word : words(text)) {
            int start = out.size();
            String w = ggufStyle ? SentencePieceTokenizer.SPACE + word : word;
            boolean ok = w.codePointCount(0, w.length()) <= maxWordChars;
            for (int i = 0; ok && i < w.length(); ) {
                int found = -1, foundEnd = -1;
                for (int j = Math.min(w.length(), i + maxPiece); j > i; j--) {
                    String sub = w.substring(i, j);
                    int id = vocab.id(!ggufStyle && i > 0 ? continuation + sub : sub);
                    if (id >= 0) {
                        found = id;
                        foundEnd = j;
                        break;
                    }
                }
                if (found < 0) {
                    ok = false;
                } else {
                    out.add(found);
                    i = foundEnd;
                }
            }
            if (!ok) {
                out.truncate(start);
                out.add(vocab.unk);
            }
        }
    }
}
