package dev.smelt.compress.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.gguf.GgufValue;
import dev.smelt.model.gguf.GgufValueType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GGUF {@code tokenizer.ggml.*} metadata from a Hugging Face checkpoint's tokenizer files, as
 * llama.cpp's {@code convert_hf_to_gguf.py} derives it:
 * <ul>
 *   <li>{@code tokenizer.model} (SentencePiece) present → model {@code llama}: tokens, scores and
 *       token types from the pieces, {@code add_space_prefix} from the normalizer spec
 *       ({@code _set_vocab_sentencepiece});</li>
 *   <li>otherwise {@code tokenizer.json} with a byte-level BPE model → model {@code gpt2}: tokens by id
 *       (vocabulary plus added tokens; added special tokens and {@code <|…|>} tokens are CONTROL,
 *       other added tokens USER_DEFINED), merges, and {@code pre} recognised from the pre-tokenizer's
 *       split regex ({@code _set_vocab_gpt2}; llama.cpp hashes a tokenization instead, which needs
 *       the Python tokenizer).</li>
 * </ul>
 * Both pad the vocabulary to config.json's {@code vocab_size} with {@code [PADn]} UNUSED tokens.
 * Special ids come from tokenizer_config.json's {@code bos_token}/{@code eos_token}/{@code unk_token}/
 * {@code pad_token} (string or {"content": …}) looked up in the vocabulary, else config.json's
 * {@code bos_token_id}/{@code eos_token_id}; {@code add_bos_token}/{@code add_eos_token} and the chat
 * template ({@code chat_template} string or named list, or {@code chat_template.jinja}) are copied.
 * Thread-safety: stateless.
 */
public final class HfTokenizerMetadata {
    static final int NORMAL = 1;
    static final int UNKNOWN = 2;
    static final int CONTROL = 3;
    static final int USER_DEFINED = 4;
    static final int UNUSED = 5;
    private static final ObjectMapper JSON = new ObjectMapper();

    private HfTokenizerMetadata() {
    }

    /**
     * @param vocabSize config.json's vocab_size (the embedding rows), or -1 for the tokenizer's own size
     * @param config    the parsed config.json (for bos/eos ids), may be null
     */
    public static Map<String, GgufValue> read(Path dir, int vocabSize, JsonNode config) throws IOException {
        Path spm = dir.resolve("tokenizer.model");
        Path tj = dir.resolve("tokenizer.json");
        Path tc = dir.resolve("tokenizer_config.json");
        JsonNode tcfg = Files.isRegularFile(tc) ? parse(tc) : JSON.createObjectNode();
        Map<String, GgufValue> out = new LinkedHashMap<>();
        List<String> tokens;
        if (Files.isRegularFile(spm)) {
            tokens = sentencePiece(spm, vocabSize, out);
        } else if (Files.isRegularFile(tj)) {
            tokens = bpe(tj, vocabSize, out);
        } else {
            throw new IOException(dir + ": no tokenizer.model or tokenizer.json in the checkpoint directory");
        }
        Map<String, Integer> ids = new HashMap<>();
        for (int i = tokens.size() - 1; i >= 0; i--) {
            ids.put(tokens.get(i), i);
        }
        special(out, "bos", tcfg.get("bos_token"), ids, config == null ? null : config.get("bos_token_id"), tc);
        special(out, "eos", tcfg.get("eos_token"), ids, config == null ? null : config.get("eos_token_id"), tc);
        special(out, "unknown", tcfg.get("unk_token"), ids, null, tc);
        special(out, "padding", tcfg.get("pad_token"), ids, config == null ? null : config.get("pad_token_id"), tc);
        if (!out.containsKey("tokenizer.ggml.unknown_token_id") && out.containsKey("tokenizer.ggml.token_type")) {
            int[] types = (int[]) ((dev.smelt.model.gguf.GgufArray) out.get("tokenizer.ggml.token_type").value()).values();
            for (int i = 0; i < types.length; i++) {
                if (types[i] == UNKNOWN) {
                    out.put("tokenizer.ggml.unknown_token_id", GgufValue.uint32(i));
                    break;
                }
            }
        }
        for (String k : new String[] {"add_bos_token", "add_eos_token"}) {
            JsonNode v = tcfg.get(k);
            if (v != null && v.isBoolean()) {
                out.put("tokenizer.ggml." + k, GgufValue.bool(v.asBoolean()));
            }
        }
        String template = chatTemplate(dir, tcfg);
        if (template != null) {
            out.put("tokenizer.chat_template", GgufValue.string(template));
        }
        return out;
    }

    private static List<String> sentencePiece(Path spm, int vocabSize, Map<String, GgufValue> out) throws IOException {
        SentencePieceModel m = SentencePieceModel.read(spm);
        int n = vocabSize > 0 ? vocabSize : m.pieces().size();
        if (m.pieces().size() > n) {
            throw new IOException(spm + ": " + m.pieces().size() + " pieces, more than config.json's vocab_size " + n);
        }
        checkPadding(spm, m.pieces().size(), n);
        List<String> tokens = new ArrayList<>(m.pieces());
        float[] scores = java.util.Arrays.copyOf(m.scores(), n);
        int[] types = java.util.Arrays.copyOf(m.types(), n);
        for (int i = m.pieces().size(); i < n; i++) {
            tokens.add("[PAD" + (i - m.pieces().size() + 1) + "]");
            scores[i] = -1000f;
            types[i] = UNUSED;
        }
        out.put("tokenizer.ggml.model", GgufValue.string("llama"));
        out.put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, tokens.toArray(String[]::new)));
        out.put("tokenizer.ggml.scores", GgufValue.array(GgufValueType.FLOAT32, scores));
        out.put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, types));
        out.put("tokenizer.ggml.add_space_prefix", GgufValue.bool(m.addDummyPrefix()));
        return tokens;
    }

    private static List<String> bpe(Path tj, int vocabSize, Map<String, GgufValue> out) throws IOException {
        JsonNode root = parse(tj);
        JsonNode model = root.path("model");
        if (!"BPE".equals(model.path("type").asText("BPE")) || !model.has("vocab")) {
            throw new IOException(tj + ": model.type '" + model.path("type").asText() + "' is not supported; expected BPE");
        }
        Map<Integer, String> byId = new HashMap<>();
        Map<Integer, Boolean> added = new HashMap<>();
        JsonNode vocab = model.path("vocab");
        if (!vocab.isObject()) {
            throw new IOException(tj + ": model.vocab must be an object of piece → id");
        }
        JsonNode addedTokens = root.path("added_tokens");
        // Ids index arrays sized by the vocabulary: bound them by what the file holds before allocating.
        int entries = vocab.size() + addedTokens.size();
        int limit = vocabSize > 0 ? vocabSize : entries;
        for (var it = vocab.fields(); it.hasNext(); ) {
            var e = it.next();
            int id = tokenId(tj, "model.vocab[" + dev.smelt.model.text.Quote.of(e.getKey()) + "]", e.getValue(), limit, vocabSize);
            String prev = byId.put(id, e.getKey());
            if (prev != null) {
                throw new IOException(tj + ": model.vocab gives id " + id + " to both " + dev.smelt.model.text.Quote.of(prev) + " and "
                        + dev.smelt.model.text.Quote.of(e.getKey()));
            }
        }
        int k = 0;
        for (JsonNode a : addedTokens) {
            String where = "added_tokens[" + k++ + "]";
            int id = tokenId(tj, where + ".id", a.path("id"), limit, vocabSize);
            if (!a.path("content").isTextual()) {
                throw new IOException(tj + ": " + where + ".content must be a string");
            }
            byId.put(id, a.path("content").asText());
            added.put(id, a.path("special").asBoolean(false));
        }
        int max = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        int n = Math.max(max, vocabSize);
        checkPadding(tj, byId.size(), n);
        String[] tokens = new String[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            String t = byId.get(i);
            if (t == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = UNUSED;
            } else if (added.containsKey(i)) {
                tokens[i] = t;
                types[i] = added.get(i) || (t.startsWith("<|") && t.endsWith("|>")) ? CONTROL : USER_DEFINED;
            } else {
                tokens[i] = t;
                types[i] = NORMAL;
            }
        }
        List<String> merges = merges(tj, model.path("merges"), vocab);
        out.put("tokenizer.ggml.model", GgufValue.string("gpt2"));
        out.put("tokenizer.ggml.pre", GgufValue.string(preName(root.path("pre_tokenizer"), tj)));
        out.put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, tokens));
        out.put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, types));
        out.put("tokenizer.ggml.merges", GgufValue.array(GgufValueType.STRING, merges.toArray(String[]::new)));
        return List.of(tokens);
    }

    /**
     * Real checkpoints pad the embedding to a multiple of 64 or 128 rows (Qwen2.5: 151,665 tokens, 151,936 rows,
     * under 0.2%); a tokenizer that covers far fewer rows belongs to another model, and the padded ids would
     * decode as "[PADn]" text.
     */
    static final double MAX_PADDED_FRACTION = 0.125;

    private static void checkPadding(Path file, int tokens, int rows) throws IOException {
        if (rows - tokens > MAX_PADDED_FRACTION * rows) {
            throw new IOException(file + ": the tokenizer has " + tokens + " tokens but config.json's vocab_size (the embedding rows) is "
                    + rows + ": more than " + (int) (MAX_PADDED_FRACTION * 100) + "% of the rows would have no token; is this the model's tokenizer?");
        }
    }

    /** A token id: a non-negative integer below {@code limit} (the vocabulary size, or the number of entries). */
    private static int tokenId(Path file, String where, JsonNode v, int limit, int vocabSize) throws IOException {
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
            throw new IOException(file + ": " + where + " = " + dev.smelt.model.text.Quote.cut(v) + " is not a token id (a non-negative integer)");
        }
        if (v.asLong() >= limit) {
            throw new IOException(file + ": " + where + " = " + v.asLong() + " is outside the vocabulary [0, " + limit + ")"
                    + (vocabSize > 0 ? " (config.json vocab_size)" : " (the file has " + limit + " entries)"));
        }
        return v.asInt();
    }

    /** Merges as "left right", each part and their concatenation in the vocabulary (as tokenizers requires). */
    private static List<String> merges(Path file, JsonNode arr, JsonNode vocab) throws IOException {
        List<String> out = new ArrayList<>();
        if (arr.isMissingNode() || arr.isNull()) {
            return out;
        }
        if (!arr.isArray()) {
            throw new IOException(file + ": model.merges must be an array");
        }
        for (int i = 0; i < arr.size(); i++) {
            JsonNode m = arr.get(i);
            String left = null;
            String right = null;
            if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                left = m.get(0).asText();
                right = m.get(1).asText();
            } else if (m.isTextual()) {
                String s = m.asText();
                int sp = s.indexOf(' ', 1);
                if (sp > 0) {
                    left = s.substring(0, sp);
                    right = s.substring(sp + 1);
                }
            }
            if (left == null || left.isEmpty() || right.isEmpty()) {
                throw new IOException(file + ": model.merges[" + i + "] = " + dev.smelt.model.text.Quote.cut(m)
                        + " is neither \"left right\" nor [left, right]");
            }
            for (String piece : new String[] {left, right, left + right}) {
                if (!vocab.has(piece)) {
                    throw new IOException(file + ": model.merges[" + i + "] = " + dev.smelt.model.text.Quote.cut(m) + ": "
                            + dev.smelt.model.text.Quote.of(piece) + " is not in model.vocab");
                }
            }
            out.add(left + " " + right);
        }
        return out;
    }

    /** llama.cpp's pre-tokenizer name for a tokenizer.json pre_tokenizer, recognised by its split regex. */
    static String preName(JsonNode pre, Path file) throws IOException {
        List<String> regexes = new ArrayList<>();
        boolean digits = false;
        collect(pre, regexes);
        String all = pre.toString();
        digits = all.contains("\"Digits\"");
        for (String r : regexes) {
            if (r.contains("\\p{N}{1,3}") && r.contains("[^\\r\\n\\p{L}\\p{N}]?\\p{L}+")) {
                return "llama-bpe";
            }
            if (r.contains("[^\\r\\n\\p{L}\\p{N}]?\\p{L}+") && r.contains("|\\p{N}|")) {
                return "qwen2";
            }
        }
        if (regexes.isEmpty() && all.contains("\"ByteLevel\"")) {
            return digits ? "smollm" : "gpt2";
        }
        throw new IOException(file + ": pre_tokenizer " + (regexes.isEmpty() ? all : regexes.get(0))
                + " is not one smelt recognises (llama-bpe, qwen2, gpt2, smollm)");
    }

    private static void collect(JsonNode n, List<String> out) {
        if (n == null) {
            return;
        }
        if ("Split".equals(n.path("type").asText()) && n.path("pattern").has("Regex")) {
            out.add(n.path("pattern").path("Regex").asText());
        }
        for (JsonNode c : n.path("pretokenizers")) {
            collect(c, out);
        }
    }

    private static void special(Map<String, GgufValue> out, String name, JsonNode token, Map<String, Integer> ids, JsonNode fallbackId,
                                Path file) throws IOException {
        String text = token == null || token.isNull() ? null : token.isTextual() ? token.asText() : token.path("content").asText(null);
        Integer id = text == null ? null : ids.get(text);
        if (text != null && id == null) {
            throw new IOException(file + ": " + (name.equals("unknown") ? "unk" : name.equals("padding") ? "pad" : name)
                    + "_token '" + text + "' is not in the vocabulary");
        }
        if (id == null && fallbackId != null && fallbackId.canConvertToInt()) {
            id = fallbackId.asInt();
        }
        if (id != null) {
            out.put("tokenizer.ggml." + name + "_token_id", GgufValue.uint32(id));
        }
    }

    private static String chatTemplate(Path dir, JsonNode tcfg) throws IOException {
        Path jinja = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            return Files.readString(jinja);
        }
        JsonNode t = tcfg.get("chat_template");
        if (t == null || t.isNull()) {
            return null;
        }
        if (t.isTextual()) {
            return t.asText();
        }
        for (JsonNode named : t) {
            if ("default".equals(named.path("name").asText())) {
                return named.path("template").asText();
            }
        }
        return t.size() > 0 ? t.get(0).path("template").asText() : null;
    }

    static JsonNode parse(Path p) throws IOException {
        try {
            return JSON.readTree(p.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(p + ": invalid JSON at " + dev.smelt.model.JsonErrors.describe(e));
        }
    }
}
