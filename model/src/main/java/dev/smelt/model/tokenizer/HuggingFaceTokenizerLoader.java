package dev.smelt.model.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Reads a Hugging Face {@code tokenizer.json} ({@code model.type} BPE or WordPiece, {@code added_tokens},
 * {@code normalizer}, {@code pre_tokenizer}, {@code post_processor}, {@code decoder}) and optionally its
 * {@code tokenizer_config.json} (add_bos_token, add_eos_token, bos_token, eos_token). Stateless.
 */
final class HuggingFaceTokenizerLoader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HuggingFaceTokenizerLoader() {
    }

    static JsonNode read(Path p) throws IOException {
        try (InputStream raw = Files.newInputStream(p);
             InputStream in = p.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw) {
            JsonNode n = JSON.readTree(in);
            if (n == null || !n.isObject()) {
                throw new TokenizerFormatException(p + ": expected a JSON object at top level");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new TokenizerFormatException(p + ": malformed JSON at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
        }
    }

    static Tokenizer load(Path jsonPath, Path configPath) throws IOException {
        String file = jsonPath.toString();
        JsonNode root = read(jsonPath);
        JsonNode config = configPath == null ? JSON.createObjectNode() : read(configPath);
        JsonNode model = root.get("model");
        if (model == null || !model.isObject()) {
            throw new TokenizerFormatException(file + ": field 'model' is missing or not an object");
        }
        String type = model.path("type").asText("");
        if (type.isEmpty() && model.has("merges")) {
            type = "BPE"; // older files omit the type of BPE models
        }
        if (!type.equals("BPE") && !type.equals("WordPiece")) {
            throw new TokenizerFormatException(file + ": unsupported model.type '" + type + "'; supported: BPE, WordPiece");
        }
        JsonNode vocabNode = model.get("vocab");
        if (vocabNode == null || !vocabNode.isObject()) {
            throw new TokenizerFormatException(file + ": field 'model.vocab' is missing or not an object");
        }
        JsonNode added = root.path("added_tokens");
        int n = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0) {
                throw new TokenizerFormatException(file + ": model.vocab['" + e.getKey() + "'] = " + e.getValue()
                        + " is not a token id");
            }
            n = Math.max(n, e.getValue().asInt() + 1);
        }
        for (JsonNode a : added) {
            n = Math.max(n, a.path("id").asInt(-1) + 1);
        }
        String[] pieces = new String[n];
        TokenType[] types = new TokenType[n];
        java.util.Arrays.fill(types, TokenType.NORMAL);
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            pieces[e.getValue().asInt()] = e.getKey();
        }
        List<SpecialTokenSplitter.Special> specials = new ArrayList<>();
        int i = 0;
        for (JsonNode a : added) {
            String where = file + ": added_tokens[" + i++ + "]";
            if (!a.has("id") || !a.has("content")) {
                throw new TokenizerFormatException(where + " lacks 'id' or 'content'");
            }
            int id = a.get("id").asInt();
            String content = a.get("content").asText();
            boolean special = a.path("special").asBoolean(false);
            pieces[id] = content;
            types[id] = special ? TokenType.CONTROL : TokenType.USER_DEFINED;
            specials.add(new SpecialTokenSplitter.Special(id, content, special, a.path("lstrip").asBoolean(false),
                    a.path("rstrip").asBoolean(false)));
        }
        for (int k = 0; k < n; k++) {
            if (pieces[k] == null) {
                // Gaps in the id space exist in some files; keep them unreachable.
                pieces[k] = "<smelt:unused:" + k + ">";
                types[k] = TokenType.UNUSED;
            }
        }
        Vocabulary v = new Vocabulary(pieces, null, types);
        String unkName = model.path("unk_token").isTextual() ? model.get("unk_token").asText() : null;
        v.unk = unkName == null ? -1 : v.id(unkName);
        v.bos = specialId(config.get("bos_token"), v);
        v.eos = specialId(config.get("eos_token"), v);
        v.addBos = config.path("add_bos_token").asBoolean(false);
        v.addEos = config.path("add_eos_token").asBoolean(false);
        applyPostProcessor(root.path("post_processor"), v, file);
        v.detectEndOfGeneration();
        return type.equals("BPE") ? bpe(root, model, v, specials, file) : wordPiece(root, model, v, specials, file);
    }

    private static int specialId(JsonNode n, Vocabulary v) {
        if (n == null || n.isNull()) {
            return -1;
        }
        String s = n.isTextual() ? n.asText() : n.path("content").asText(null);
        return s == null ? -1 : v.id(s);
    }

    /** TemplateProcessing / BertProcessing / RobertaProcessing decide BOS/EOS over tokenizer_config.json. */
    private static void applyPostProcessor(JsonNode pp, Vocabulary v, String file) throws TokenizerFormatException {
        String type = pp.path("type").asText("");
        if (type.equals("Sequence")) {
            for (JsonNode c : pp.path("processors")) {
                applyPostProcessor(c, v, file);
            }
        } else if (type.equals("TemplateProcessing")) {
            boolean seenSequence = false;
            v.addBos = false;
            v.addEos = false;
            for (JsonNode item : pp.path("single")) {
                if (item.has("Sequence")) {
                    seenSequence = true;
                } else if (item.has("SpecialToken")) {
                    String name = item.get("SpecialToken").path("id").asText();
                    JsonNode ids = pp.path("special_tokens").path(name).path("ids");
                    int id = ids.size() == 1 ? ids.get(0).asInt() : v.id(name);
                    if (id < 0) {
                        throw new TokenizerFormatException(file + ": post_processor.single names unknown token '" + name + "'");
                    }
                    if (seenSequence) {
                        v.eos = v.eos < 0 ? id : v.eos;
                        v.sep = id;
                        v.addEos = true;
                    } else {
                        v.bos = id;
                        v.cls = id;
                        v.addBos = true;
                    }
                }
            }
        } else if (type.equals("BertProcessing") || type.equals("RobertaProcessing")) {
            v.cls = pp.path("cls").path(1).asInt(-1);
            v.sep = pp.path("sep").path(1).asInt(-1);
            v.bos = v.cls;
            v.eos = v.sep;
            v.addBos = v.cls >= 0;
            v.addEos = v.sep >= 0;
        }
    }

    private static Tokenizer bpe(JsonNode root, JsonNode model, Vocabulary v, List<SpecialTokenSplitter.Special> specials,
            String file) throws TokenizerFormatException {
        JsonNode merges = model.path("merges");
        if (!merges.isArray()) {
            throw new TokenizerFormatException(file + ": field 'model.merges' is missing or not an array");
        }
        boolean byteFallback = model.path("byte_fallback").asBoolean(false);
        BpeModel bpe = new BpeModel(v, model.path("ignore_merges").asBoolean(false), byteFallback, v.unk,
                model.path("fuse_unk").asBoolean(false), merges.size());
        int rank = 0;
        for (JsonNode m : merges) {
            String left, right;
            if (m.isArray() && m.size() == 2) {
                left = m.get(0).asText();
                right = m.get(1).asText();
            } else if (m.isTextual() && m.asText().indexOf(' ', 1) > 0) {
                int sp = m.asText().indexOf(' ', 1);
                left = m.asText().substring(0, sp);
                right = m.asText().substring(sp + 1);
            } else {
                throw new TokenizerFormatException(file + ": model.merges[" + rank + "] = " + m
                        + " is neither \"left right\" nor [left, right]");
            }
            bpe.addMerge(left, right, rank++);
        }
        var normalizer = HfPreTokenizers.normalizer(root.get("normalizer"), file + ": normalizer");
        var pre = HfPreTokenizers.preTokenizer(root.get("pre_tokenizer"), file + ": pre_tokenizer");
        String decoderJson = root.path("decoder").toString();
        BpeTokenizer.Decoding decoding = decoderJson.contains("\"ByteLevel\"") || root.path("pre_tokenizer").toString()
                .contains("\"ByteLevel\"") ? BpeTokenizer.Decoding.BYTE_LEVEL : BpeTokenizer.Decoding.METASPACE;
        // A Strip decoder (Llama 2 style) or a prepending Metaspace decoder drops the dummy leading space.
        boolean strip = decoderJson.contains("\"Strip\"") || decoderJson.contains("\"Metaspace\"")
                && !decoderJson.contains("\"prepend_scheme\":\"never\"");
        return new BpeTokenizer(v, specials, normalizer, pre, bpe, decoding, strip);
    }

    private static Tokenizer wordPiece(JsonNode root, JsonNode model, Vocabulary v,
            List<SpecialTokenSplitter.Special> specials, String file) throws TokenizerFormatException {
        JsonNode norm = root.path("normalizer");
        boolean lowercase = true, stripAccents = true;
        if (norm.path("type").asText("").equals("BertNormalizer")) {
            lowercase = norm.path("lowercase").asBoolean(true);
            stripAccents = norm.path("strip_accents").isBoolean() ? norm.get("strip_accents").asBoolean() : lowercase;
        } else if (!norm.isMissingNode() && !norm.isNull()) {
            throw new TokenizerFormatException(file + ": normalizer.type '" + norm.path("type").asText()
                    + "' is not supported with WordPiece (expected BertNormalizer)");
        }
        String pre = root.path("pre_tokenizer").path("type").asText("BertPreTokenizer");
        if (!pre.equals("BertPreTokenizer") && !pre.equals("Whitespace") && !pre.equals("WhitespaceSplit")) {
            throw new TokenizerFormatException(file + ": pre_tokenizer.type '" + pre
                    + "' is not supported with WordPiece (expected BertPreTokenizer)");
        }
        if (v.unk < 0) {
            throw new TokenizerFormatException(file + ": model.unk_token is missing or not in the vocabulary");
        }
        return new WordPieceTokenizer(v, specials, false, lowercase, stripAccents,
                model.path("continuing_subword_prefix").asText("##"), model.path("max_input_chars_per_word").asInt(100));
    }
}
