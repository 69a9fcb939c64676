package dev.smelt.model.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits text around special tokens written in it, as llama.cpp's tokenizer_st_partition: user-defined
 * tokens always match; control tokens only when parsing specials; longer tokens win. Returns a list of
 * String (raw text) and Integer (token id) fragments. Stateless.
 */
final class SpecialSplitter {
    private SpecialSplitter() {
    }

    static List<Object> split(String text, Vocabulary v, boolean parseSpecial) {
        List<Object> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            String hit = null;
            for (String s : v.specials) {
                if (text.startsWith(s, i)) {
                    int id = v.ids.get(s);
                    if (parseSpecial || v.types[id] == Vocabulary.USER_DEFINED) {
                        hit = s;
                        break;
                    }
                }
            }
            if (hit == null) {
                i++;
                continue;
            }
            if (i > start) {
                out.add(text.substring(start, i));
            }
            out.add(v.ids.get(hit));
            i += hit.length();
            start = i;
        }
        if (start < text.length()) {
            out.add(text.substring(start));
        }
        return out;
    }
}
