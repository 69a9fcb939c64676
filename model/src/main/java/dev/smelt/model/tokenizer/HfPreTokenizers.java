package dev.smelt.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face {@code normalizer} and {@code pre_tokenizer} JSON objects turned into functions. Supported
 * normalizers: NFC, NFD, NFKC, NFKD, Lowercase, Replace, Prepend, Sequence. Supported pre-tokenizers: Split
 * (String or Regex pattern; Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous), ByteLevel,
 * Metaspace, Sequence. Stateless.
 */
final class HfPreTokenizers {
    private HfPreTokenizers() {
    }

    static UnaryOperator<String> normalizer(JsonNode n, String where) throws TokenizerFormatException {
        if (n == null || n.isNull()) {
            return s -> s;
        }
        String type = n.path("type").asText("");
        return switch (type) {
            case "NFC" -> s -> Normalizer.normalize(s, Normalizer.Form.NFC);
            case "NFD" -> s -> Normalizer.normalize(s, Normalizer.Form.NFD);
            case "NFKC" -> s -> Normalizer.normalize(s, Normalizer.Form.NFKC);
            case "NFKD" -> s -> Normalizer.normalize(s, Normalizer.Form.NFKD);
            case "Lowercase" -> s -> s.toLowerCase(java.util.Locale.ROOT);
            case "Prepend" -> {
                String p = n.path("prepend").asText();
                yield s -> s.isEmpty() ? s : p + s;
            }
            case "Replace" -> {
                Pattern p = pattern(n.path("pattern"), where + ".pattern");
                String content = n.path("content").asText();
                yield s -> p.matcher(s).replaceAll(Matcher.quoteReplacement(content));
            }
            case "Sequence" -> {
                List<UnaryOperator<String>> parts = new ArrayList<>();
                int i = 0;
                for (JsonNode c : n.path("normalizers")) {
                    parts.add(normalizer(c, where + ".normalizers[" + i++ + "]"));
                }
                yield s -> {
                    for (UnaryOperator<String> p : parts) {
                        s = p.apply(s);
                    }
                    return s;
                };
            }
            default -> throw new TokenizerFormatException(where + ".type: unsupported normalizer '" + type
                    + "'; supported: NFC, NFD, NFKC, NFKD, Lowercase, Replace, Prepend, Sequence");
        };
    }

    static Pattern pattern(JsonNode p, String where) throws TokenizerFormatException {
        if (p.has("String")) {
            return Pattern.compile(Pattern.quote(p.get("String").asText()));
        }
        if (p.has("Regex")) {
            try {
                return RegexSplitter.compile(p.get("Regex").asText());
            } catch (IllegalArgumentException e) {
                throw new TokenizerFormatException(where + ": " + e.getMessage());
            }
        }
        throw new TokenizerFormatException(where + ": expected {\"String\": ...} or {\"Regex\": ...}, got " + p);
    }

    /** A pre-tokenizer: one normalized fragment → words (byte-level mapped when ByteLevel is present). */
    static Function<String, List<String>> preTokenizer(JsonNode n, String where) throws TokenizerFormatException {
        List<Function<List<String>, List<String>>> steps = new ArrayList<>();
        collect(n, where, steps);
        return text -> {
            List<String> words = text.isEmpty() ? List.of() : List.of(text);
            for (Function<List<String>, List<String>> step : steps) {
                words = step.apply(words);
            }
            return words;
        };
    }

    private static void collect(JsonNode n, String where, List<Function<List<String>, List<String>>> steps)
            throws TokenizerFormatException {
        if (n == null || n.isNull()) {
            return;
        }
        String type = n.path("type").asText("");
        switch (type) {
            case "Sequence" -> {
                int i = 0;
                for (JsonNode c : n.path("pretokenizers")) {
                    collect(c, where + ".pretokenizers[" + i++ + "]", steps);
                }
            }
            case "Split" -> {
                Pattern p = pattern(n.path("pattern"), where + ".pattern");
                String behavior = n.path("behavior").asText("Isolated");
                if (n.path("invert").asBoolean(false)) {
                    throw new TokenizerFormatException(where + ".invert: inverted Split is not supported");
                }
                if (!List.of("Isolated", "Removed", "MergedWithPrevious", "MergedWithNext", "Contiguous").contains(behavior)) {
                    throw new TokenizerFormatException(where + ".behavior: unsupported '" + behavior + "'");
                }
                steps.add(words -> flatMap(words, w -> split(p, w, behavior)));
            }
            case "ByteLevel" -> {
                boolean prefix = n.path("add_prefix_space").asBoolean(false);
                boolean useRegex = n.path("use_regex").asBoolean(true);
                Pattern gpt2 = RegexSplitter.compile(PreTokenizers.GPT2);
                steps.add(words -> flatMap(words, w -> {
                    String s = prefix && !w.startsWith(" ") ? " " + w : w;
                    List<String> parts = useRegex ? split(gpt2, s, "Isolated") : List.of(s);
                    return parts.stream().map(ByteLevel::encode).toList();
                }));
            }
            case "Metaspace" -> {
                String repl = n.path("replacement").asText("\u2581");
                String scheme = n.has("prepend_scheme") ? n.get("prepend_scheme").asText()
                        : n.path("add_prefix_space").asBoolean(true) ? "always" : "never";
                boolean split = n.path("split").asBoolean(true);
                Pattern marker = Pattern.compile(Pattern.quote(repl));
                steps.add(words -> flatMap(words, w -> {
                    String s = w.replace(" ", repl);
                    if (!scheme.equals("never") && !s.startsWith(repl)) {
                        s = repl + s;
                    }
                    return split ? split(marker, s, "MergedWithNext") : List.of(s);
                }));
            }
            default -> throw new TokenizerFormatException(where + ".type: unsupported pre_tokenizer '" + type
                    + "'; supported: Split, ByteLevel, Metaspace, Sequence, BertPreTokenizer (WordPiece only)");
        }
    }

    private static List<String> flatMap(List<String> words, Function<String, List<String>> f) {
        List<String> out = new ArrayList<>();
        for (String w : words) {
            out.addAll(f.apply(w));
        }
        return out;
    }

    /** Hugging Face's {@code split} with a {@code SplitDelimiterBehavior}. */
    static List<String> split(Pattern p, String s, String behavior) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        int pos = 0;
        String pendingPrefix = null; // MergedWithNext: delimiter waiting for the following text
        while (m.find()) {
            if (m.end() == m.start()) {
                continue;
            }
            String gap = s.substring(pos, m.start());
            String delim = m.group();
            switch (behavior) {
                case "Isolated", "Removed" -> {
                    if (!gap.isEmpty()) {
                        out.add(gap);
                    }
                    if (behavior.equals("Isolated")) {
                        out.add(delim);
                    }
                }
                case "MergedWithPrevious" -> out.add(gap + delim);
                case "MergedWithNext" -> {
                    String head = pendingPrefix == null ? gap : pendingPrefix + gap;
                    if (!head.isEmpty()) {
                        out.add(head);
                    }
                    pendingPrefix = delim;
                }
                default -> { // Contiguous: consecutive delimiters fuse into one piece
                    if (!gap.isEmpty()) {
                        out.add(gap);
                        out.add(delim);
                    } else if (!out.isEmpty() && pos > 0 && pos == m.start() && lastWasDelim(out, p)) {
                        out.set(out.size() - 1, out.get(out.size() - 1) + delim);
                    } else {
                        out.add(delim);
                    }
                }
            }
            pos = m.end();
        }
        String tail = s.substring(pos);
        if (pendingPrefix != null) {
            tail = pendingPrefix + tail;
        }
        if (!tail.isEmpty()) {
            out.add(tail);
        }
        return out;
    }

    private static boolean lastWasDelim(List<String> out, Pattern p) {
        return p.matcher(out.get(out.size() - 1)).matches();
    }
}
