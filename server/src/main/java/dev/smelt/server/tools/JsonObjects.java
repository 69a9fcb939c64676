package dev.smelt.server.tools;

import java.util.ArrayList;
import java.util.List;

/** Splits text into consecutive top-level JSON objects (string-aware brace matching). Stateless. */
final class JsonObjects {
    private JsonObjects() {
    }

    /**
     * The objects in {@code s}, separated by whitespace or any of {@code separators}; null when
     * anything else appears between them or an object is unterminated.
     */
    static List<String> split(String s, String separators) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c) || separators.indexOf(c) >= 0) {
                i++;
                continue;
            }
            if (c != '{') {
                return null;
            }
            int end = matchingBrace(s, i);
            if (end < 0) {
                return null;
            }
            out.add(s.substring(i, end + 1));
            i = end + 1;
        }
        return out;
    }

    private static int matchingBrace(String s, int start) {
        int depth = 0;
        boolean inString = false;
        for (int i = start; i < s.length(); i++) {
            char c = s.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
                if (depth == 0) {
                    return c == '}' ? i : -1;
                }
            }
        }
        return -1;
    }
}
