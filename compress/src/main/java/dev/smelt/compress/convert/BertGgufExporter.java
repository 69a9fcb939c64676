package dev.smelt.compress.convert;

import dev.smelt.compress.LlamaFileType;
import dev.smelt.compress.TensorFloats;
import dev.smelt.model.Linear;
import dev.smelt.model.encoder.BertConfig;
import dev.smelt.model.encoder.BertEmbedder;
import dev.smelt.model.encoder.BertGguf;
import dev.smelt.model.encoder.BertWeights;
import dev.smelt.model.encoder.PackedLinear;
import dev.smelt.model.gguf.GgufValue;
import dev.smelt.model.gguf.GgufValueType;
import dev.smelt.model.gguf.GgufWriter;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

/**
 * Writes a BERT encoder (from any source smelt reads: the built-in ONNX weights, an .onnx file, a Hugging Face
 * directory) as a GGUF of llama.cpp's {@code bert} architecture, laid out as {@code convert_hf_to_gguf.py}
 * writes it (names and keys: {@link BertGguf}): 2-D weights (token embeddings, projections) in the requested
 * type, 1-D tensors, norms, positions and token types in F32 (as the converter forces them), the WordPiece
 * vocabulary in llama.cpp's phantom-space spelling with CONTROL types for special tokens, and the sentence
 * pooling as {@code bert.pooling_type}. The file is written to a temporary name and renamed. Stateless.
 */
public final class BertGgufExporter {
    /** The output types convert_hf_to_gguf.py offers for BERT (--outtype f32, f16, bf16, q8_0). */
    public static final List<GgmlType> TYPES = List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0);
    /** gguf-py TokenType codes. */
    static final int NORMAL = 1;
    static final int CONTROL = 3;
    static final int UNUSED = 5;
    /** U+2581, llama.cpp's phantom space before word-initial pieces. */
    static final String PHANTOM = "\u2581";

    private BertGgufExporter() {
    }

    /**
     * @param type F32, F16, BF16 or Q8_0 for the 2-D weights
     * @param pool threads for quantizing, or null for the calling thread
     */
    public static void export(BertEmbedder e, GgmlType type, Path out, ThreadPool pool) throws IOException {
        if (e == null || out == null) {
            throw new IllegalArgumentException("embedder and output path must not be null");
        }
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("encoder GGUF type must be one of " + TYPES + ", got " + type);
        }
        BertWeights w = e.weights();
        BertConfig c = w.config();
        GgufWriter g = new GgufWriter();
        metadata(g, e.name(), c, type);
        vocabulary(g, e.tokenizer(), c);
        int h = c.hidden();
        matrix(g, BertGguf.TOKEN_EMBD, w.wordEmbeddings(), c.vocab(), h, type, pool);
        matrix(g, BertGguf.TOKEN_TYPES, w.typeEmbeddings(), c.typeVocab(), h, GgmlType.F32, pool);
        matrix(g, BertGguf.POS_EMBD, w.positionEmbeddings(), c.maxPositions(), h, GgmlType.F32, pool);
        vector(g, BertGguf.EMBD_NORM + ".weight", w.embNormWeight());
        vector(g, BertGguf.EMBD_NORM + ".bias", w.embNormBias());
        for (int i = 0; i < c.layers(); i++) {
            BertWeights.Block b = w.blocks()[i];
            linear(g, i, BertGguf.Q, b.query(), b.qBias(), type, pool);
            linear(g, i, BertGguf.K, b.key(), b.kBias(), type, pool);
            linear(g, i, BertGguf.V, b.value(), b.vBias(), type, pool);
            linear(g, i, BertGguf.O, b.attnOut(), b.oBias(), type, pool);
            vector(g, BertGguf.block(i, BertGguf.ATTN_NORM, "weight"), b.attnNormWeight());
            vector(g, BertGguf.block(i, BertGguf.ATTN_NORM, "bias"), b.attnNormBias());
            linear(g, i, BertGguf.UP, b.up(), b.upBias(), type, pool);
            linear(g, i, BertGguf.DOWN, b.down(), b.downBias(), type, pool);
            vector(g, BertGguf.block(i, BertGguf.OUT_NORM, "weight"), b.ffnNormWeight());
            vector(g, BertGguf.block(i, BertGguf.OUT_NORM, "bias"), b.ffnNormBias());
        }
        g.write(out);
    }

    private static void metadata(GgufWriter g, String name, BertConfig c, GgmlType type) {
        g.put("general.architecture", GgufValue.string(BertGguf.ARCH));
        g.put("general.type", GgufValue.string("model"));
        g.put("general.name", GgufValue.string(name));
        g.put(BertGguf.BLOCK_COUNT, GgufValue.uint32(c.layers()));
        g.put(BertGguf.CONTEXT_LENGTH, GgufValue.uint32(c.maxPositions()));
        g.put(BertGguf.EMBEDDING_LENGTH, GgufValue.uint32(c.hidden()));
        g.put(BertGguf.FEED_FORWARD_LENGTH, GgufValue.uint32(c.intermediate()));
        g.put(BertGguf.HEAD_COUNT, GgufValue.uint32(c.heads()));
        g.put(BertGguf.LAYER_NORM_EPS, GgufValue.float32(c.layerNormEps()));
        g.put("general.file_type", GgufValue.uint32(LlamaFileType.fromName(type.name()).id()));
        g.put(BertGguf.CAUSAL, GgufValue.bool(false));
        g.put(BertGguf.POOLING_TYPE, GgufValue.uint32(BertGguf.poolingCode(c.pooling())));
        g.put("general.quantization_version", GgufValue.uint32(2));
        g.put(BertGguf.TOKEN_TYPE_COUNT, GgufValue.uint32(c.typeVocab()));
        if (c.maxTokens() < c.maxPositions()) {
            g.put(BertGguf.MAX_TOKENS, GgufValue.uint32(c.maxTokens()));
        }
        g.put(BertGguf.NORMALIZE, GgufValue.bool(c.normalize()));
    }

    /** tokenizer.ggml.* as convert_hf_to_gguf.py's BertModel.set_vocab writes it. */
    static void vocabulary(GgufWriter g, Tokenizer t, BertConfig c) {
        int n = Math.max(c.vocab(), t.vocabSize());
        String[] tokens = new String[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            if (i >= t.vocabSize()) { // the embedding table is larger than the vocabulary: placeholder rows
                tokens[i] = "[PAD" + i + "]";
                types[i] = UNUSED;
            } else if (t.isSpecial(i)) {
                tokens[i] = t.piece(i);
                types[i] = CONTROL;
            } else {
                tokens[i] = phantom(t.piece(i));
                types[i] = NORMAL;
            }
        }
        g.put("tokenizer.ggml.model", GgufValue.string("bert"));
        // llama.cpp's WordPiece ignores the pre-tokenizer name; this is what the converter records for
        // the uncased BERT vocabulary (BAAI/bge-small-en-v1.5, the reference of its "bert-bge" hash)
        g.put("tokenizer.ggml.pre", GgufValue.string("bert-bge"));
        g.put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, tokens));
        g.put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, types));
        special(g, t, "tokenizer.ggml.unknown_token_id", "[UNK]");
        special(g, t, "tokenizer.ggml.seperator_token_id", "[SEP]"); // sic: llama.cpp's spelling
        special(g, t, "tokenizer.ggml.padding_token_id", "[PAD]");
        special(g, t, "tokenizer.ggml.cls_token_id", "[CLS]");
        special(g, t, "tokenizer.ggml.mask_token_id", "[MASK]");
    }

    /** "##ing" → "ing" (continuation), "card" → "▁card" (word start). */
    static String phantom(String piece) {
        return piece.startsWith("##") ? piece.substring(2) : PHANTOM + piece;
    }

    private static void special(GgufWriter g, Tokenizer t, String key, String piece) {
        OptionalInt id = t.tokenId(piece);
        if (id.isPresent()) {
            g.put(key, GgufValue.uint32(id.getAsInt()));
        }
    }

    private static void linear(GgufWriter g, int layer, String stem, Linear l, float[] bias, GgmlType type, ThreadPool pool) {
        String name = BertGguf.block(layer, stem, "weight");
        if (!(l instanceof PackedLinear p)) {
            throw new IllegalArgumentException(name + ": cannot export a " + l.getClass().getSimpleName() + " projection");
        }
        matrix(g, name, p.weights(), p.rows(), p.cols(), type, pool);
        vector(g, BertGguf.block(layer, stem, "bias"), bias);
    }

    /** A row-major [rows, cols] matrix as ggml {cols, rows}, encoded when the file is written (bounds the heap). */
    private static void matrix(GgufWriter g, String name, float[] x, int rows, int cols, GgmlType type, ThreadPool pool) {
        g.tensor(name, new long[] {cols, rows}, type, o -> o.write(TensorFloats.encode(name, type, x, rows, cols, null, pool)));
    }

    private static void vector(GgufWriter g, String name, float[] x) {
        g.tensor(name, new long[] {x.length}, GgmlType.F32, o -> o.write(TensorFloats.encode(name, GgmlType.F32, x, 1, x.length, null, null)));
    }
}
