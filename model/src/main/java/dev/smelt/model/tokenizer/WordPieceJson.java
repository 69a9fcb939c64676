package dev.smelt.model.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes a WordPiece vocabulary as a Hugging Face {@code tokenizer.json} (BertNormalizer, BertPreTokenizer,
 * WordPiece model with "##" continuations, [CLS] … [SEP]), so an encoder whose tokenizer came from a GGUF
 * file can be saved in the Hugging Face layout (a fine-tuned classifier's {@code encoder/}).
 *
 * <p>llama.cpp's GGUF spelling is undone piece by piece: a NORMAL piece starting with '▁' is a word start
 * ("▁card" → "card"), a NORMAL piece without it is a continuation ("ing" → "##ing"), every other type
 * ([CLS], [SEP], placeholders) is kept as spelled; CONTROL pieces become special added tokens. Stateless.
 */
final class WordPieceJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private WordPieceJson() {
    }

    /**
     * @param maxLength truncation length in tokens (specials included), or ≤ 0 for none
     */
    static ObjectNode of(WordPieceTokenizer t, int maxLength, String source) {
        Vocabulary v = t.vocabulary();
        ObjectNode root = JSON.createObjectNode().put("version", "1.0");
        if (maxLength > 0) {
            root.putObject("truncation").put("direction", "Right").put("max_length", maxLength)
                    .put("strategy", "LongestFirst").put("stride", 0);
        } else {
            root.putNull("truncation");
        }
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        ObjectNode vocab = JSON.createObjectNode();
        Map<String, Integer> seen = HashMap.newHashMap(v.size());
        for (int id = 0; id < v.size(); id++) {
            String piece = huggingFacePiece(t, v, id);
            Integer before = seen.putIfAbsent(piece, id);
            if (before != null) {
                throw new IllegalArgumentException(source + ": tokens " + before + " and " + id + " both become '" + piece
                        + "' in Hugging Face spelling; the vocabulary cannot be written as tokenizer.json");
            }
            vocab.put(piece, id);
            if (v.type(id) == TokenType.CONTROL) {
                added.addObject().put("id", id).put("content", piece).put("single_word", false).put("lstrip", false)
                        .put("rstrip", false).put("normalized", false).put("special", true);
            }
        }
        root.putObject("normalizer").put("type", "BertNormalizer").put("clean_text", true)
                .put("handle_chinese_chars", true).put("strip_accents", t.stripsAccents()).put("lowercase", t.lowercases());
        root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
        ObjectNode pp = root.putObject("post_processor").put("type", "BertProcessing");
        pp.putArray("sep").add(v.piece(v.sep)).add(v.sep);
        pp.putArray("cls").add(v.piece(v.cls)).add(v.cls);
        root.putObject("decoder").put("type", "WordPiece").put("prefix", "##").put("cleanup", true);
        ObjectNode model = root.putObject("model").put("type", "WordPiece").put("unk_token", v.piece(v.unk))
                .put("continuing_subword_prefix", "##").put("max_input_chars_per_word", 100);
        model.set("vocab", vocab);
        return root;
    }

    private static String huggingFacePiece(WordPieceTokenizer t, Vocabulary v, int id) {
        String p = v.piece(id);
        if (!t.ggufStyle() || v.type(id) != TokenType.NORMAL) {
            return p;
        }
        return p.charAt(0) == SentencePieceTokenizer.SPACE ? p.substring(1) : "##" + p;
    }
}
