package dev.smelt.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a Hugging Face {@code tokenizer.json} ({@code model.type} BPE or WordPiece, {@code added_tokens},
 * {@code normalizer}, {@code pre_tokenizer}, {@code post_processor}, {@code decoder}) and optionally its
 * {@code tokenizer_config.json} (add_bos_token, add_eos_token, bos_token, eos_token). Stateless.
 */
final class HuggingFaceTokenizerLoader {
    /** Largest hole in the id space accepted beyond the entries a file lists; real files leave a few hundred ids at most. */
    static final int MAX_ID_GAP = 1 << 16;

    private static final ObjectMapper JSON = new ObjectMapper();

    private HuggingFaceTokenizerLoader() {
    }

    static Tokenizer load(Path jsonPath, Path configPath) throws IOException {
        String file = jsonPath.toString();
        HfJsonReader parsed = HfJsonReader.read(jsonPath);
        JsonNode root = parsed.root;
        JsonNode config = configPath == null ? JSON.createObjectNode() : HfJsonReader.readTree(configPath);
        JsonNode model = root.get("model");
        if (model == null || !model.isObject()) {
            throw new TokenizerFormatException(file + ": field 'model' is missing or not an object");
        }
        String type = model.path("type").asText("");
        if (type.isEmpty() && parsed.mergeLeft != null) {
            type = "BPE"; // older files omit the type of BPE models
        }
        if (!type.equals("BPE") && !type.equals("WordPiece")) {
            throw new TokenizerFormatException(file + ": unsupported model.type '" + type + "'; supported: BPE, WordPiece");
        }
        if (!parsed.hasVocab) {
            throw new TokenizerFormatException(file + ": field 'model.vocab' is missing or not an object");
        }
        JsonNode added = root.path("added_tokens");
        // Ids size the arrays below: bound them by the entries the file holds before allocating (a hostile id
        // of 10^9 would otherwise ask for gigabytes).
        long limit = (long) parsed.vocabIds.size() + added.size() + MAX_ID_GAP;
        int n = 0;
        for (int k = 0; k < parsed.vocabIds.size(); k++) {
            int id = parsed.vocabIds.get(k);
            if (id >= limit) {
                throw new TokenizerFormatException(file + ": model.vocab[" + dev.smelt.model.text.Quote.of(parsed.vocabPieces.get(k)) + "] = " + id
                        + " is far beyond the " + (parsed.vocabIds.size() + added.size()) + " entries of the file");
            }
            n = Math.max(n, id + 1);
        }
        int j = 0;
        for (JsonNode a : added) {
            JsonNode id = a.path("id");
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0 || id.asInt() >= limit) {
                throw new TokenizerFormatException(file + ": added_tokens[" + j + "].id = " + dev.smelt.model.text.Quote.cut(id)
                        + " is not a token id below " + limit);
            }
            j++;
            n = Math.max(n, id.asInt() + 1);
        }
        String[] pieces = new String[n];
        TokenType[] types = new TokenType[n];
        java.util.Arrays.fill(types, TokenType.NORMAL);
        for (int k = 0; k < parsed.vocabIds.size(); k++) {
            pieces[parsed.vocabIds.get(k)] = parsed.vocabPieces.get(k);
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
        return type.equals("BPE") ? bpe(root, model, parsed, v, specials, file) : wordPiece(root, model, v, specials, file);
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

    private static Tokenizer bpe(JsonNode root, JsonNode model, HfJsonReader parsed, Vocabulary v,
            List<SpecialTokenSplitter.Special> specials, String file) throws TokenizerFormatException {
        if (parsed.mergeLeft == null) {
            throw new TokenizerFormatException(file + ": field 'model.merges' is missing or not an array");
        }
        boolean byteFallback = model.path("byte_fallback").asBoolean(false);
        BpeModel bpe = new BpeModel(v, model.path("ignore_merges").asBoolean(false), byteFallback, v.unk,
                model.path("fuse_unk").asBoolean(false), parsed.mergeLeft.size());
        for (int rank = 0; rank < parsed.mergeLeft.size(); rank++) {
            bpe.addMerge(parsed.mergeLeft.get(rank), parsed.mergeRight.get(rank), rank);
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
