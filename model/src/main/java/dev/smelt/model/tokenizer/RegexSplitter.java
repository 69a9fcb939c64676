package dev.smelt.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A chain of regular expressions applied the way llama.cpp's {@code unicode_regex_split} does: each expression
 * refines the pieces produced by the previous one, matches and the gaps between them both become pieces, and
 * a match never looks beyond its piece (so {@code \s+(?!\S)} and {@code $} see the piece end). Patterns use
 * the ECMAScript/Rust dialect of the tokenizer files; {@code \s}/{@code \S} are rewritten to Unicode White_Space
 * (Java's are ASCII-only) and {@code $} to end-of-input. Immutable and thread-safe.
 */
final class RegexSplitter {
    /** Unicode White_Space, the set llama.cpp and the Rust regex crate use for {@code \s}. */
    private static final String WS = "\\t\\n\\x0B\\f\\r\\x20\\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";
    private final Pattern[] patterns;

    RegexSplitter(List<String> expressions) {
        patterns = new Pattern[expressions.size()];
        for (int i = 0; i < patterns.length; i++) {
            patterns[i] = compile(expressions.get(i));
        }
    }

    static Pattern compile(String expr) {
        try {
            return Pattern.compile(translate(expr));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot compile pre-tokenizer regex /" + expr + "/: " + e.getMessage(), e);
        }
    }

    /** Rewrites {@code \s}, {@code \S} and a bare {@code $} to Java with Unicode semantics. */
    static String translate(String expr) {
        StringBuilder sb = new StringBuilder();
        int depth = 0; // inside [...]
        for (int i = 0; i < expr.length(); i++) {
            char c = expr.charAt(i);
            if (c == '\\' && i + 1 < expr.length()) {
                char d = expr.charAt(++i);
                if (d == 's') {
                    sb.append(depth > 0 ? WS : "[" + WS + "]");
                } else if (d == 'S' && depth == 0) {
                    sb.append("[^").append(WS).append(']');
                } else if (d == 'S') {
                    throw new IllegalArgumentException("\\S inside a character class is not supported: /" + expr + "/");
                } else {
                    sb.append(c).append(d);
                }
                continue;
            }
            if (c == '[') {
                depth++;
            } else if (c == ']' && depth > 0) {
                depth--;
            } else if (c == '$' && depth == 0) {
                sb.append("\\z");
                continue;
            }
            sb.append(c);
        }
        return sb.toString();
    }

    /** Splits {@code text} into pieces (their concatenation is {@code text}). */
    List<String> split(String text) {
        List<int[]> spans = new ArrayList<>();
        if (text.isEmpty()) {
            return List.of();
        }
        spans.add(new int[] {0, text.length()});
        for (Pattern p : patterns) {
            List<int[]> next = new ArrayList<>(spans.size() * 2);
            Matcher m = p.matcher(text);
            for (int[] span : spans) {
                m.region(span[0], span[1]);
                int pos = span[0];
                while (m.find()) {
                    if (m.end() == m.start()) {
                        continue; // patterns here never match empty; guard against endless loops anyway
                    }
                    if (m.start() > pos) {
                        next.add(new int[] {pos, m.start()});
                    }
                    next.add(new int[] {m.start(), m.end()});
                    pos = m.end();
                }
                if (pos < span[1]) {
                    next.add(new int[] {pos, span[1]});
                }
            }
            spans = next;
        }
        List<String> out = new ArrayList<>(spans.size());
        for (int[] s : spans) {
            out.add(text.substring(s[0], s[1]));
        }
        return out;
    }
}
