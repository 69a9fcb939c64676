package dev.smelt.train.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads training JSONL: one JSON object per line (blank lines skipped), in one of the formats users
 * of OpenAI fine-tuning, TRL and Axolotl know:
 * <ul>
 * <li>{@code {"messages": [{"role": "system"|"user"|"assistant"|"tool", "content": …, "tool_calls": […],
 *     "tool_call_id": …}], "tools": […]}} — OpenAI chat fine-tuning; content is a string, null (assistant
 *     with tool_calls) or a list of {@code {"type": "text", "text": …}} parts; tool-call arguments given
 *     as a JSON string are parsed into an object, as Hugging Face chat templates expect;</li>
 * <li>{@code {"prompt": "…", "completion": "…"}} — plain text (no template); or with message lists
 *     for both, a conversation whose completion messages are trained;</li>
 * <li>{@code {"text": "…"}} — plain text, all trained.</li>
 * </ul>
 * For token-level distillation an assistant message (or a prompt/completion line, top level) may carry
 * the teacher's {@code "logprobs"} in OpenAI's response shape ({@link TeacherLogprobs}).
 * Every problem is a {@link DataException} naming {@code file:line}. Stateless, thread-safe.
 */
public final class JsonlExamples {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    private JsonlExamples() {
    }

    public static List<RawExample> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "training data not found");
        }
        List<RawExample> out = new ArrayList<>();
        byte[] bytes = Files.readAllBytes(file);
        int n = 0;
        for (int start = 0; start < bytes.length; ) {
            int end = start;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            n++;
            String source = file.getFileName() + ":" + n;
            String line = utf8Line(bytes, start, end, source);
            if (!line.isBlank()) {
                out.add(parse(line, source));
            }
            start = end + 1;
        }
        if (out.isEmpty()) {
            throw new IOException(file + ": no examples (the file is empty)");
        }
        return out;
    }

    /** Strict UTF-8 decoding of one line (a trailing CR dropped), naming the line and byte on failure. */
    private static String utf8Line(byte[] b, int start, int end, String source) {
        int len = end - start;
        if (len > 0 && b[end - 1] == '\r') {
            len--;
        }
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(b, start, len);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(len);
        java.nio.charset.CoderResult r = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                .decode(in, out, true);
        if (r.isError()) {
            int at = in.position() - start;
            throw new DataException(source, "not valid UTF-8: byte 0x" + String.format("%02X", b[in.position()] & 0xFF)
                    + " at byte " + at + " of the line (save the file as UTF-8)");
        }
        return out.flip().toString();
    }

    /** Parses one line; {@code source} is its {@code file:line}. */
    public static RawExample parse(String line, String source) {
        JsonNode n;
        try {
            n = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new DataException(source, "invalid JSON at " + dev.smelt.model.JsonErrors.describeColumn(e));
        }
        if (n == null || !n.isObject()) {
            throw new DataException(source, "expected a JSON object, got " + (n == null ? "nothing" : n.getNodeType().toString().toLowerCase()));
        }
        if (n.has("messages")) {
            List<Map<String, Object>> msgs = messages(n.get("messages"), "messages", source);
            return new RawExample.Conversation(msgs, tools(n.get("tools"), source), 0, source, teacher(n.get("messages"), "messages", 0, source));
        }
        if (n.has("prompt") || n.has("completion")) {
            JsonNode p = n.get("prompt");
            JsonNode c = n.get("completion");
            if (p == null || c == null) {
                throw new DataException(source, "prompt/completion lines need both fields; missing '" + (p == null ? "prompt" : "completion") + "'");
            }
            if (p.isArray() && c.isArray()) {
                List<Map<String, Object>> all = new ArrayList<>(messages(p, "prompt", source));
                int from = all.size();
                all.addAll(messages(c, "completion", source));
                return new RawExample.Conversation(Collections.unmodifiableList(all), tools(n.get("tools"), source), from, source,
                        teacher(c, "completion", from, source));
            }
            if (!p.isTextual() || !c.isTextual()) {
                throw new DataException(source, "'prompt' and 'completion' must both be strings (or both message lists)");
            }
            JsonNode lp = n.get("logprobs");
            return new RawExample.PromptCompletion(p.asText(), c.asText(), source,
                    lp == null || lp.isNull() ? null : TeacherLogprobs.parse(lp, "logprobs", source));
        }
        if (n.has("text")) {
            if (!n.get("text").isTextual()) {
                throw new DataException(source, "field 'text' must be a string");
            }
            return new RawExample.Text(n.get("text").asText(), source);
        }
        throw new DataException(source, "no 'messages', 'prompt'/'completion' or 'text' field; found " + fieldNames(n));
    }

    /** Teacher logprobs of the assistant messages in {@code arr} that carry a {@code logprobs} object, by index + offset. */
    private static Map<Integer, TeacherLogprobs> teacher(JsonNode arr, String field, int offset, String source) {
        Map<Integer, TeacherLogprobs> out = new LinkedHashMap<>();
        for (int i = 0; i < arr.size(); i++) {
            JsonNode lp = arr.get(i).get("logprobs");
            if (lp != null && !lp.isNull()) {
                if (!"assistant".equals(arr.get(i).path("role").asText())) {
                    throw new DataException(source, field + "[" + i + "].logprobs: only assistant messages can carry teacher logprobs");
                }
                out.put(i + offset, TeacherLogprobs.parse(lp, field + "[" + i + "].logprobs", source));
            }
        }
        return out;
    }

    private static List<Map<String, Object>> messages(JsonNode arr, String field, String source) {
        if (!arr.isArray() || arr.isEmpty()) {
            throw new DataException(source, "field '" + field + "' must be a non-empty array of messages");
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            out.add(message(arr.get(i), field + "[" + i + "]", source));
        }
        return Collections.unmodifiableList(out);
    }

    private static Map<String, Object> message(JsonNode m, String where, String source) {
        if (!m.isObject()) {
            throw new DataException(source, where + " must be an object");
        }
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
            throw new DataException(source, where + ".role must be one of " + new java.util.TreeSet<>(ROLES) + ", got " + role);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("role", role.asText());
        JsonNode c = m.get("content");
        boolean hasCalls = m.has("tool_calls") && m.get("tool_calls").isArray() && !m.get("tool_calls").isEmpty();
        if (c == null || c.isNull()) {
            if (!hasCalls) {
                throw new DataException(source, where + " has no 'content'");
            }
            out.put("content", null);
        } else if (c.isTextual()) {
            out.put("content", c.asText());
        } else if (c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : c) {
                if (!part.path("type").asText().equals("text") || !part.path("text").isTextual()) {
                    throw new DataException(source, where + ".content parts must be {\"type\": \"text\", \"text\": …}; got " + part);
                }
                sb.append(part.get("text").asText());
            }
            out.put("content", sb.toString());
        } else {
            throw new DataException(source, where + ".content must be a string, null or a list of text parts");
        }
        if (hasCalls) {
            if (!role.asText().equals("assistant")) {
                throw new DataException(source, where + " has tool_calls but role " + role.asText());
            }
            List<Object> calls = new ArrayList<>();
            for (JsonNode call : m.get("tool_calls")) {
                calls.add(toolCall(call, where, source));
            }
            out.put("tool_calls", calls);
        }
        for (String k : new String[] {"tool_call_id", "name"}) {
            if (m.has(k) && m.get(k).isTextual()) {
                out.put(k, m.get(k).asText());
            }
        }
        return Collections.unmodifiableMap(out);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> toolCall(JsonNode call, String where, String source) {
        JsonNode f = call.path("function");
        if (!f.path("name").isTextual()) {
            throw new DataException(source, where + ".tool_calls[].function.name is missing");
        }
        Map<String, Object> fn = new LinkedHashMap<>();
        fn.put("name", f.get("name").asText());
        JsonNode args = f.get("arguments");
        Object parsed = Map.of();
        if (args != null && args.isTextual()) {
            try {
                JsonNode a = JSON.readTree(args.asText());
                parsed = a != null && a.isObject() ? JSON.convertValue(a, Map.class) : args.asText();
            } catch (JsonProcessingException e) {
                throw new DataException(source, where + ".tool_calls[].function.arguments is not valid JSON: " + e.getOriginalMessage());
            }
        } else if (args != null && args.isObject()) {
            parsed = JSON.convertValue(args, Map.class);
        }
        fn.put("arguments", parsed);
        Map<String, Object> out = new LinkedHashMap<>();
        if (call.path("id").isTextual()) {
            out.put("id", call.get("id").asText());
        }
        out.put("type", "function");
        out.put("function", fn);
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> tools(JsonNode t, String source) {
        if (t == null || t.isNull()) {
            return null;
        }
        if (!t.isArray()) {
            throw new DataException(source, "field 'tools' must be an array of tool definitions");
        }
        return JSON.convertValue(t, List.class);
    }

    private static String fieldNames(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names.isEmpty() ? "no fields" : names.toString();
    }
}
