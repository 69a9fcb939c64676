package dev.smelt.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** llama.cpp's tokenizer test vectors: texts separated by {@code \n__ggml_vocab_test__\n}, one id line per text. */
final class VocabCases {
    static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    record Case(int index, String text, int[] expected) {
    }

    static List<Case> read(Path inp, Path out) throws IOException {
        String raw = Files.readString(inp, StandardCharsets.UTF_8);
        List<String> texts = new ArrayList<>(Arrays.asList(raw.split(java.util.regex.Pattern.quote(SEPARATOR), -1)));
        if (!texts.isEmpty() && texts.getLast().isEmpty()) {
            texts.removeLast(); // the file ends with a separator
        }
        List<String> lines = new ArrayList<>(Arrays.asList(Files.readString(out).split("\n", -1)));
        if (!lines.isEmpty() && lines.getLast().isEmpty()) {
            lines.removeLast();
        }
        assertThat(lines).as("%s: one id line per text", out).hasSize(texts.size());
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String l = lines.get(i).trim();
            int[] ids = l.isEmpty() ? new int[0] : Arrays.stream(l.split("\\s+")).mapToInt(Integer::parseInt).toArray();
            cases.add(new Case(i, texts.get(i), ids));
        }
        return cases;
    }

    /** Encodes every case (no BOS, special tokens not parsed) and fails listing each mismatch. */
    static void check(Tokenizer tok, List<Case> cases, String name) {
        List<String> failures = new ArrayList<>();
        for (Case c : cases) {
            int[] actual = tok.encode(c.text(), false, false);
            if (!Arrays.equals(actual, c.expected())) {
                failures.add("case " + c.index() + " text=" + escape(c.text()) + "\n  expected " + Arrays.toString(c.expected())
                        + "\n  actual   " + Arrays.toString(actual));
            }
        }
        assertThat(failures).as("%s: %d of %d cases differ", name, failures.size(), cases.size()).isEmpty();
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> sb.append(ch);
            }
        }
        return sb.append('"').toString();
    }
}
