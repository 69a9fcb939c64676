package dev.smelt.model.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts text at occurrences of special / added tokens before the model's own algorithm runs, like llama.cpp's
 * {@code tokenizer_st_partition} and Hugging Face's added-token extraction: leftmost match first, the longest
 * token at that position. Immutable and thread-safe.
 */
final class SpecialTokenSplitter {
    /** One added token. {@code control}: only matched when parsing special tokens is requested. */
    record Special(int id, String text, boolean control, boolean lstrip, boolean rstrip) {
    }

    /** Either raw text ({@code id == -1}) or one token. */
    record Fragment(String text, int id) {
        boolean isText() {
            return id < 0;
        }
    }

    private final Map<Character, List<Special>> byFirstChar = new HashMap<>();

    SpecialTokenSplitter(List<Special> specials) {
        for (Special s : specials) {
            if (!s.text().isEmpty()) {
                byFirstChar.computeIfAbsent(s.text().charAt(0), k -> new ArrayList<>()).add(s);
            }
        }
        // Longest first so the first hit at a position is the longest match.
        for (List<Special> l : byFirstChar.values()) {
            l.sort(Comparator.comparingInt((Special s) -> s.text().length()).reversed());
        }
    }

    List<Fragment> split(String text, boolean parseSpecial) {
        List<Fragment> out = new ArrayList<>();
        if (byFirstChar.isEmpty()) {
            if (!text.isEmpty()) {
                out.add(new Fragment(text, -1));
            }
            return out;
        }
        int textStart = 0;
        int i = 0;
        int n = text.length();
        while (i < n) {
            Special hit = null;
            List<Special> cands = byFirstChar.get(text.charAt(i));
            if (cands != null) {
                for (Special s : cands) {
                    if ((parseSpecial || !s.control()) && text.startsWith(s.text(), i)) {
                        hit = s;
                        break;
                    }
                }
            }
            if (hit == null) {
                i++;
                continue;
            }
            int textEnd = i;
            if (hit.lstrip()) {
                while (textEnd > textStart && Character.isWhitespace(text.charAt(textEnd - 1))) {
                    textEnd--;
                }
            }
            if (textEnd > textStart) {
                out.add(new Fragment(text.substring(textStart, textEnd), -1));
            }
            out.add(new Fragment(hit.text(), hit.id()));
            i += hit.text().length();
            if (hit.rstrip()) {
                while (i < n && Character.isWhitespace(text.charAt(i))) {
                    i++;
                }
            }
            textStart = i;
        }
        if (textStart < n) {
            out.add(new Fragment(text.substring(textStart), -1));
        }
        return out;
    }
}
