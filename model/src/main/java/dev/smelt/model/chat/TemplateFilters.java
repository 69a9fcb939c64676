package dev.smelt.model.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.CenterFilter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.filter.FormatFilter;
import com.hubspot.jinjava.lib.filter.IndentFilter;
import com.hubspot.jinjava.lib.filter.ReplaceFilter;
import dev.smelt.model.text.Quote;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Jinjava's filters whose argument sets the size of what they build ({@code center(width)}, {@code indent(width)},
 * {@code format} widths and precisions, {@code replace}), checked before they allocate: Jinjava caps the rendered
 * output only after a string is built, so {@code 'a'|center(1000000000)} in a 30-byte template asked for 2 GB.
 * Each refuses a result longer than {@link #MAX_CHARS}, the output cap. Stateless; thread-safe.
 */
final class TemplateFilters {
    /** Longest text one filter may build: the rendered output's own cap (16 MiB). */
    static final long MAX_CHARS = 16L << 20;
    private static final Pattern FORMAT_NUMBER = Pattern.compile("%[-#+ 0,(<]*(\\d*)(?:\\.(\\d+))?[a-zA-Z]");

    private TemplateFilters() {
    }

    /** The bounded filters, each under its Jinjava name, to register over the originals. */
    static List<Filter> all() {
        return List.of(new Center(), new Indent(), new Format(), new Replace());
    }

    static void check(String filter, long chars) {
        if (chars > MAX_CHARS) {
            throw new ChatTemplateException(RenderBudget.template() + ": " + filter + " would build " + String.format("%,d", chars)
                    + " characters, over the limit of " + String.format("%,d", MAX_CHARS));
        }
    }

    /** A size argument as a number (saturating), or −1 when it is not one (the filter then reports it). */
    private static long number(Object arg) {
        String s = String.valueOf(arg).strip();
        if (!s.matches("-?\\d+")) {
            return -1;
        }
        return s.length() > 18 ? Long.MAX_VALUE : Long.parseLong(s);
    }

    /** Replacements of {@code old} in {@code s} by {@code by}: the result's length, computed without building it. */
    static long replacedLength(String s, String old, String by) {
        if (old.isEmpty()) {
            return s.length() + (long) (s.length() + 1) * by.length(); // Java inserts at every position
        }
        long count = 0;
        for (int i = s.indexOf(old); i >= 0; i = s.indexOf(old, i + old.length())) {
            count++;
        }
        return s.length() + count * (by.length() - old.length());
    }

    private static final class Center extends CenterFilter {
        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (args.length > 0) {
                check("center", number(args[0]));
            }
            return super.filter(var, interpreter, args);
        }
    }

    private static final class Indent extends IndentFilter {
        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Map<String, Object> parsedArgs) {
            long width = number(parsedArgs.get(WIDTH_PARAM));
            if (width > 0) {
                String s = String.valueOf(var);
                long lines = s.chars().filter(c -> c == '\n').count() + 1;
                check("indent", width > MAX_CHARS ? width : s.length() + width * lines);
            }
            return super.filter(var, interpreter, parsedArgs);
        }
    }

    private static final class Format extends FormatFilter {
        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Matcher m = FORMAT_NUMBER.matcher(String.valueOf(var));
            while (m.find()) {
                for (int g = 1; g <= 2; g++) {
                    if (m.group(g) != null && !m.group(g).isEmpty()) {
                        check("format " + Quote.of(m.group()), number(m.group(g)));
                    }
                }
            }
            return super.filter(var, interpreter, args, kwargs);
        }
    }

    private static final class Replace extends ReplaceFilter {
        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (var != null && args.length >= 2 && args[0] != null && args[1] != null) {
                check("replace", replacedLength(var.toString(), args[0], args[1]));
            }
            return super.filter(var, interpreter, args);
        }
    }
}
