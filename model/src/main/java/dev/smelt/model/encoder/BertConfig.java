package dev.smelt.model.encoder;

/**
 * Shape and behaviour of a BERT-family encoder, as Hugging Face's {@code config.json} plus the
 * sentence-transformers pooling settings describe it.
 *
 * @param vocab          word-piece vocabulary size
 * @param hidden         model width (hidden_size)
 * @param layers         encoder blocks (num_hidden_layers)
 * @param heads          attention heads (num_attention_heads); hidden must be a multiple
 * @param intermediate   FFN width (intermediate_size)
 * @param maxPositions   learned positions (max_position_embeddings): the longest sequence, specials included
 * @param typeVocab      token types (type_vocab_size)
 * @param layerNormEps   LayerNorm epsilon (layer_norm_eps)
 * @param pooling        sentence pooling
 * @param normalize      L2-normalize the pooled vector
 * @param maxTokens      longest input kept, specials included: the tokenizer.json truncation, at most maxPositions;
 *                       longer texts are cut to it (see {@link BertEmbedder})
 */
public record BertConfig(int vocab, int hidden, int layers, int heads, int intermediate, int maxPositions,
                         int typeVocab, float layerNormEps, Pooling pooling, boolean normalize, int maxTokens) {
    public BertConfig {
        positive("vocab", vocab);
        positive("hidden", hidden);
        positive("layers", layers);
        positive("heads", heads);
        positive("intermediate", intermediate);
        positive("maxPositions", maxPositions);
        positive("typeVocab", typeVocab);
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("hidden " + hidden + " is not a multiple of heads " + heads);
        }
        if (!(layerNormEps > 0)) {
            throw new IllegalArgumentException("layerNormEps must be > 0, got " + layerNormEps);
        }
        if (maxTokens > maxPositions) {
            throw new IllegalArgumentException("maxTokens " + maxTokens + " exceeds maxPositions " + maxPositions);
        }
        if (maxTokens < 3) {
            throw new IllegalArgumentException("maxTokens must be >= 3 ([CLS] x [SEP]), got " + maxTokens);
        }
    }

    private static void positive(String what, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(what + " must be > 0, got " + v);
        }
    }

    public int headDim() {
        return hidden / heads;
    }

    public BertConfig withPooling(Pooling p, boolean norm) {
        return new BertConfig(vocab, hidden, layers, heads, intermediate, maxPositions, typeVocab, layerNormEps, p, norm, maxTokens);
    }

    public BertConfig withMaxTokens(int n) {
        return new BertConfig(vocab, hidden, layers, heads, intermediate, maxPositions, typeVocab, layerNormEps, pooling, normalize, n);
    }
}
