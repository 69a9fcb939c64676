package dev.smelt.model.chat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face templates are written for Python's jinja2; Jinjava lacks some of what they use. This
 * rewrites those idioms into Jinjava equivalents before parsing, and provides the functions they call:
 * <ul>
 *   <li>{@code X.startswith(a)}, {@code endswith}, {@code split}, {@code strip/lstrip/rstrip}, {@code upper},
 *       {@code lower}, {@code replace} → {@code py_METHOD(X, …)} (receiver found by bracket-aware scanning);</li>
 *   <li>{@code namespace(a=1, b=2)} → a dict literal; {@code {% set ns.a = v %}} → {@code {% set __smelt_ns = ns.update({'a': v}) %}};</li>
 *   <li>{@code X[::-1]} → {@code X|reverse};</li>
 *   <li>{@code {{-} / {@code -}}}: the whitespace they remove is removed here (Jinjava ignores them).</li>
 * </ul>
 * Stateless; thread-safe.
 */
final class PythonIdioms {
    private static final Pattern METHOD = Pattern.compile("\\.(startswith|endswith|split|strip|lstrip|rstrip|upper|lower|replace)\\(");
    private static final Pattern SET_ATTR = Pattern.compile("\\{%(-?)\\s*set\\s+(\\w+)\\.(\\w+)\\s*=\\s*(.*?)\\s*(-?)%\\}", Pattern.DOTALL);
    private static final Pattern NAMESPACE = Pattern.compile("namespace\\(([^()]*(?:\\([^()]*\\)[^()]*)*)\\)");
    private static final Pattern KWARG = Pattern.compile("(\\w+)\\s*=\\s*");

    private PythonIdioms() {
    }

    static String rewrite(String src) {
        // Jinjava ignores whitespace control on expression tags: apply {{- and -}} here
        String s = src.replaceAll("\\s*\\{\\{-", "{{").replaceAll("-}}\\s*", "}}");
        s = s.replace("[::-1]", "|reverse");
        s = rewriteNamespace(s);
        // a set tag (not do) keeps Jinjava's whitespace control identical to the original tag
        s = SET_ATTR.matcher(s).replaceAll(m -> Matcher.quoteReplacement("{%" + m.group(1) + " set __smelt_ns = " + m.group(2)
                + ".update({'" + m.group(3) + "': " + m.group(4) + "}) " + m.group(5) + "%}"));
        return rewriteMethods(s);
    }

    private static String rewriteNamespace(String s) {
        Matcher m = NAMESPACE.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String args = m.group(1);
            StringBuilder dict = new StringBuilder("{");
            Matcher k = KWARG.matcher(args);
            int last = 0;
            boolean first = true;
            while (k.find()) {
                if (!first) {
                    dict.append(args, last, k.start());
                }
                dict.append("'").append(k.group(1)).append("': ");
                last = k.end();
                first = false;
            }
            dict.append(args.substring(last)).append("}");
            m.appendReplacement(out, Matcher.quoteReplacement(dict.toString()));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Rewrites the leftmost method call first, repeatedly, so chains nest correctly. */
    private static String rewriteMethods(String s) {
        while (true) {
            Matcher m = METHOD.matcher(s);
            if (!m.find()) {
                return s;
            }
            int dot = m.start();
            int start = receiverStart(s, dot);
            String receiver = s.substring(start, dot);
            int argsStart = m.end();
            String replacement = "py_" + m.group(1) + "(" + receiver + (argsStart < s.length() && s.charAt(argsStart) == ')' ? "" : ", ");
            s = s.substring(0, start) + replacement + s.substring(argsStart);
        }
    }

    /** Start of the expression ending just before {@code end}: identifiers, dots, strings, balanced () and []. */
    private static int receiverStart(String s, int end) {
        int i = end - 1;
        while (i >= 0) {
            char c = s.charAt(i);
            if (c == ')' || c == ']') {
                char open = c == ')' ? '(' : '[';
                int depth = 0;
                for (; i >= 0; i--) {
                    char d = s.charAt(i);
                    if (d == c) {
                        depth++;
                    } else if (d == open && --depth == 0) {
                        break;
                    }
                }
                i--;
                // a call's function name belongs to the receiver: continue over identifier chars
            } else if (c == '\'' || c == '"') {
                int j = s.lastIndexOf(c, i - 1);
                i = j - 1;
            } else if (Character.isLetterOrDigit(c) || c == '_' || c == '.') {
                i--;
            } else {
                break;
            }
        }
        // An unbalanced bracket or unterminated quote scans past the start: take everything before the dot,
        // and let Jinjava report the malformed template (fuzz finding: StringIndexOutOfBoundsException).
        return Math.max(0, i + 1);
    }

    // ---- functions the rewritten templates call ----

    public static boolean startswith(Object s, Object prefix) {
        return str(s).startsWith(str(prefix));
    }

    public static boolean endswith(Object s, Object suffix) {
        return str(s).endsWith(str(suffix));
    }

    public static List<String> split(Object s, Object sep) {
        String x = str(s);
        List<String> out = new ArrayList<>();
        if (sep == null) {
            for (String p : x.trim().split("\\s+")) {
                if (!p.isEmpty()) {
                    out.add(p);
                }
            }
            return out;
        }
        String d = str(sep);
        int from = 0;
        while (true) {
            int i = x.indexOf(d, from);
            if (i < 0) {
                out.add(x.substring(from));
                return out;
            }
            out.add(x.substring(from, i));
            from = i + d.length();
        }
    }

    public static String strip(Object s, Object chars) {
        return rstrip(lstrip(s, chars), chars);
    }

    public static String lstrip(Object s, Object chars) {
        String x = str(s);
        int i = 0;
        while (i < x.length() && stripped(x.charAt(i), chars)) {
            i++;
        }
        return x.substring(i);
    }

    public static String rstrip(Object s, Object chars) {
        String x = str(s);
        int i = x.length();
        while (i > 0 && stripped(x.charAt(i - 1), chars)) {
            i--;
        }
        return x.substring(0, i);
    }

    private static boolean stripped(char c, Object chars) {
        return chars == null ? Character.isWhitespace(c) : str(chars).indexOf(c) >= 0;
    }

    public static String upper(Object s) {
        return str(s).toUpperCase(java.util.Locale.ROOT);
    }

    public static String lower(Object s) {
        return str(s).toLowerCase(java.util.Locale.ROOT);
    }

    public static String replace(Object s, Object a, Object b) {
        String text = str(s), old = str(a), by = str(b);
        TemplateFilters.check("replace", TemplateFilters.replacedLength(text, old, by)); // before building it
        return text.replace(old, by);
    }

    private static String str(Object o) {
        if (o == null) {
            return "";
        }
        if (o instanceof Collection<?> || o instanceof Map<?, ?>) {
            return o.toString();
        }
        return o.toString();
    }
}
