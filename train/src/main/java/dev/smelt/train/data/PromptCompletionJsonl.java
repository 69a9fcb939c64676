package dev.smelt.train.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Minimal JSONL loader: one JSON object per line, either {@code {"prompt": P, "completion": C}}
 * (loss on C and the EOS that ends it, as TRL's completion-only training) or {@code {"text": T}}
 * (loss on every token after the first). The prompt is encoded with the tokenizer's special-token
 * rules (BOS), the completion without, then EOS is appended. Blank lines are skipped. Every bad line
 * is reported with file and line number. Stateless, thread-safe.
 */
public final class PromptCompletionJsonl {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PromptCompletionJsonl() {
    }

    public static List<TokenizedExample> load(Path file, Tokenizer tok) throws IOException {
        List<TokenizedExample> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int no = 0;
            while ((line = r.readLine()) != null) {
                no++;
                if (line.isBlank()) {
                    continue;
                }
                out.add(parse(line, file + ":" + no, tok));
            }
        } catch (java.nio.charset.MalformedInputException e) {
            throw new IOException(file + ": not valid UTF-8");
        }
        if (out.isEmpty()) {
            throw new IOException(file + ": no examples (the file is empty)");
        }
        return out;
    }

    static TokenizedExample parse(String line, String where, Tokenizer tok) throws IOException {
        JsonNode n;
        try {
            n = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IOException(where + ": invalid JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) {
            throw new IOException(where + ": expected a JSON object with \"prompt\" and \"completion\" (or \"text\")");
        }
        if (n.has("text") && !n.has("completion")) {
            String text = string(n, "text", where);
            int[] ids = concat(tok.encode(text, true, false), tok.eos() >= 0 ? new int[] {tok.eos()} : new int[0]);
            boolean[] target = new boolean[ids.length];
            for (int i = 1; i < ids.length; i++) {
                target[i] = true;
            }
            return check(new TokenizedExample(ids, target, where), where);
        }
        String prompt = string(n, "prompt", where);
        String completion = string(n, "completion", where);
        int[] p = tok.encode(prompt, true, false);
        int[] c = concat(tok.encode(completion, false, false), tok.eos() >= 0 ? new int[] {tok.eos()} : new int[0]);
        int[] ids = concat(p, c);
        boolean[] target = new boolean[ids.length];
        for (int i = Math.max(1, p.length); i < ids.length; i++) {
            target[i] = true;
        }
        return check(new TokenizedExample(ids, target, where), where);
    }

    private static TokenizedExample check(TokenizedExample e, String where) throws IOException {
        if (e.targetCount() == 0) {
            throw new IOException(where + ": nothing to train on (the completion encodes to no tokens)");
        }
        return e;
    }

    private static String string(JsonNode n, String field, String where) throws IOException {
        JsonNode v = n.get(field);
        if (v == null) {
            throw new IOException(where + ": missing field \"" + field + "\"");
        }
        if (!v.isTextual()) {
            throw new IOException(where + ": field \"" + field + "\" must be a string, got " + v.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
        }
        return v.asText();
    }

    private static int[] concat(int[] a, int[] b) {
        int[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
