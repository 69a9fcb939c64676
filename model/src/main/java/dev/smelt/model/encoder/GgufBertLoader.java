package dev.smelt.model.encoder;

import dev.smelt.model.ModelException;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.tensor.quant.Formats;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a BERT encoder from a GGUF file of llama.cpp's {@code bert} architecture (tensor names, shapes and
 * metadata keys in {@link BertGguf}; the GGUF container layout in {@link GgufFile}). Weights of any type smelt
 * decodes (F32, F16, BF16, Q8_0, …) are dequantized to float32 at load, and the file is closed afterwards.
 * As in llama.cpp, biases and the token-type table are optional (zeros / none), every other tensor and the
 * shape keys are required; {@code bert.pooling_type} 1 (mean) and 2 (cls) are supported, absent means mean
 * (sentence-transformers' default). The WordPiece tokenizer comes from the same file. Stateless.
 */
public final class GgufBertLoader {
    private GgufBertLoader() {
    }

    /** True when {@code path} is a GGUF file whose general.architecture is bert (false for any unreadable file). */
    public static boolean isBert(Path path) {
        if (path == null || !path.toString().endsWith(".gguf") || !path.toFile().isFile()) {
            return false;
        }
        try (GgufFile f = GgufFile.open(path)) {
            return BertGguf.ARCH.equals(f.architecture());
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Opens the encoder and its tokenizer as an embedder computing on a new pool of {@code threads} threads. */
    public static BertEmbedder open(Path path, int threads) throws IOException {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        Tokenizer tok;
        BertWeights w;
        try (GgufFile f = GgufFile.open(path)) {
            w = load(f);
            tok = Tokenizers.fromGguf(f);
        }
        String name = path.getFileName().toString().replaceFirst("\\.gguf$", "");
        return new BertEmbedder(name, tok, w, new ThreadPool(threads), true);
    }

    /** The weights of an opened bert GGUF; errors name the file and the key or tensor at fault. */
    public static BertWeights load(GgufFile f) {
        String file = String.valueOf(f.path());
        if (!BertGguf.ARCH.equals(f.architecture())) {
            throw new ModelException(file + ": general.architecture is '" + f.architecture() + "', expected 'bert'");
        }
        if (f.getBool(BertGguf.CAUSAL, false)) {
            throw new ModelException(file + ": " + BertGguf.CAUSAL + " = true; a BERT encoder attends both ways");
        }
        int layers = required(f, BertGguf.BLOCK_COUNT);
        int context = required(f, BertGguf.CONTEXT_LENGTH);
        int hidden = required(f, BertGguf.EMBEDDING_LENGTH);
        int ff = required(f, BertGguf.FEED_FORWARD_LENGTH);
        int heads = required(f, BertGguf.HEAD_COUNT);
        if (!f.has(BertGguf.LAYER_NORM_EPS)) {
            throw new ModelException(file + ": metadata key " + BertGguf.LAYER_NORM_EPS + " is missing");
        }
        float eps = f.getFloat(BertGguf.LAYER_NORM_EPS, Float.NaN);
        if (!(eps > 0)) {
            throw new ModelException(file + ": " + BertGguf.LAYER_NORM_EPS + " = " + f.get(BertGguf.LAYER_NORM_EPS) + " must be > 0");
        }
        if (hidden % heads != 0) {
            throw new ModelException(file + ": " + BertGguf.EMBEDDING_LENGTH + " " + hidden + " is not a multiple of "
                    + BertGguf.HEAD_COUNT + " " + heads);
        }
        Pooling pooling = pooling(f, file);
        GgufTensorInfo word = tensor(f, BertGguf.TOKEN_EMBD, file);
        if (word.dims().length != 2 || word.ne0() != hidden) {
            throw new ModelException(file + ": tensor " + BertGguf.TOKEN_EMBD + " has dims " + Arrays.toString(word.dims())
                    + ", expected [" + hidden + ", n_vocab]");
        }
        int vocab = (int) word.rows();
        GgufTensorInfo types = f.tensor(BertGguf.TOKEN_TYPES);
        int typeCount = types == null ? 1 : (int) types.rows();
        if (f.has(BertGguf.TOKEN_TYPE_COUNT) && types != null && f.getLong(BertGguf.TOKEN_TYPE_COUNT, 0) != typeCount) {
            throw new ModelException(file + ": " + BertGguf.TOKEN_TYPE_COUNT + " = " + f.get(BertGguf.TOKEN_TYPE_COUNT)
                    + " but tensor " + BertGguf.TOKEN_TYPES + " has " + typeCount + " rows");
        }
        int maxTokens = context;
        if (f.has(BertGguf.MAX_TOKENS)) {
            long m = f.getLong(BertGguf.MAX_TOKENS, -1);
            if (m < 3 || m > context) {
                throw new ModelException(file + ": " + BertGguf.MAX_TOKENS + " = " + f.get(BertGguf.MAX_TOKENS)
                        + " must be in [3, " + BertGguf.CONTEXT_LENGTH + " = " + context + "]");
            }
            maxTokens = (int) m;
        }
        BertConfig c = new BertConfig(vocab, hidden, layers, heads, ff, context, typeCount, eps, pooling,
                f.getBool(BertGguf.NORMALIZE, true), maxTokens);
        BertWeights.Block[] blocks = new BertWeights.Block[layers];
        for (int i = 0; i < layers; i++) {
            blocks[i] = new BertWeights.Block(
                    linear(f, i, BertGguf.Q, hidden, hidden), bias(f, i, BertGguf.Q, hidden),
                    linear(f, i, BertGguf.K, hidden, hidden), bias(f, i, BertGguf.K, hidden),
                    linear(f, i, BertGguf.V, hidden, hidden), bias(f, i, BertGguf.V, hidden),
                    linear(f, i, BertGguf.O, hidden, hidden), bias(f, i, BertGguf.O, hidden),
                    floats(f, BertGguf.block(i, BertGguf.ATTN_NORM, "weight"), hidden),
                    floats(f, BertGguf.block(i, BertGguf.ATTN_NORM, "bias"), hidden),
                    linear(f, i, BertGguf.UP, ff, hidden), bias(f, i, BertGguf.UP, ff),
                    linear(f, i, BertGguf.DOWN, hidden, ff), bias(f, i, BertGguf.DOWN, hidden),
                    floats(f, BertGguf.block(i, BertGguf.OUT_NORM, "weight"), hidden),
                    floats(f, BertGguf.block(i, BertGguf.OUT_NORM, "bias"), hidden));
        }
        float[] typeEmb = types == null ? new float[hidden] : floats(f, BertGguf.TOKEN_TYPES, hidden, typeCount);
        return new BertWeights(c, floats(f, BertGguf.TOKEN_EMBD, hidden, vocab),
                floats(f, BertGguf.POS_EMBD, hidden, context), typeEmb,
                floats(f, BertGguf.EMBD_NORM + ".weight", hidden), floats(f, BertGguf.EMBD_NORM + ".bias", hidden), blocks);
    }

    private static Pooling pooling(GgufFile f, String file) {
        if (!f.has(BertGguf.POOLING_TYPE)) {
            return Pooling.MEAN;
        }
        long code = f.getLong(BertGguf.POOLING_TYPE, -1);
        if (code == BertGguf.POOLING_MEAN) {
            return Pooling.MEAN;
        }
        if (code == BertGguf.POOLING_CLS) {
            return Pooling.CLS;
        }
        String what = switch ((int) code) {
            case 0 -> " (none: per-token vectors)";
            case 3 -> " (last)";
            case 4 -> " (rank: a reranker)";
            default -> "";
        };
        throw new ModelException(file + ": " + BertGguf.POOLING_TYPE + " = " + f.get(BertGguf.POOLING_TYPE) + what
                + " is not supported; supported: 1 (mean), 2 (cls)");
    }

    private static int required(GgufFile f, String key) {
        if (!f.has(key)) {
            throw new ModelException(f.path() + ": metadata key " + key + " is missing");
        }
        long v = f.getLong(key, -1);
        if (v <= 0 || v > Integer.MAX_VALUE || !(f.get(key) instanceof Long)) {
            throw new ModelException(f.path() + ": metadata key " + key + " = " + f.get(key) + " is not a positive integer");
        }
        return (int) v;
    }

    private static GgufTensorInfo tensor(GgufFile f, String name, String file) {
        GgufTensorInfo t = f.tensor(name);
        if (t == null) {
            throw new ModelException(file + ": tensor " + name + " is missing");
        }
        return t;
    }

    /** A [rows, cols] (PyTorch [out, in]; ggml {cols, rows}) projection, repacked for the encoder's kernel. */
    private static PackedLinear linear(GgufFile f, int layer, String stem, int rows, int cols) {
        String name = BertGguf.block(layer, stem, "weight");
        if (f.tensor(name) == null && stem.equals(BertGguf.Q) && f.tensor(BertGguf.block(layer, "attn_qkv", "weight")) != null) {
            throw new ModelException(f.path() + ": tensor " + BertGguf.block(layer, "attn_qkv", "weight")
                    + " (fused q|k|v) is not supported; expected separate attn_q, attn_k, attn_v as convert_hf_to_gguf.py writes them");
        }
        return new PackedLinear(name, floats(f, name, cols, rows), rows, cols);
    }

    /** An optional bias (llama.cpp: TENSOR_NOT_REQUIRED): zeros when absent. */
    private static float[] bias(GgufFile f, int layer, String stem, int n) {
        String name = BertGguf.block(layer, stem, "bias");
        return f.tensor(name) == null ? new float[n] : floats(f, name, n);
    }

    private static float[] floats(GgufFile f, String name, long... dims) {
        GgufTensorInfo t = tensor(f, name, String.valueOf(f.path()));
        if (!Arrays.equals(t.dims(), dims)) {
            throw new ModelException(f.path() + ": tensor " + name + " has dims " + Arrays.toString(t.dims())
                    + ", expected " + Arrays.toString(dims));
        }
        if (!Formats.supports(t.type())) {
            throw new ModelException(f.path() + ": tensor " + name + " has type " + t.type() + ", which smelt cannot read");
        }
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE - 16) {
            throw new ModelException(f.path() + ": tensor " + name + " has " + n + " elements, more than one array holds");
        }
        float[] out = new float[(int) n];
        Formats.of(t.type()).dequantize(f.segment(), t.fileOffset(), out, 0, (int) n);
        return out;
    }

    private static float[] floats(GgufFile f, String name, int n) {
        return floats(f, name, new long[] {n});
    }
}
