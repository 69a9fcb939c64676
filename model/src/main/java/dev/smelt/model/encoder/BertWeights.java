package dev.smelt.model.encoder;

import dev.smelt.model.Linear;

/**
 * All parameters of a BERT encoder in float32, whatever file they came from. Projections are
 * {@link Linear}s with W stored [out, in] (rows = output features). Immutable once built, thread-safe.
 *
 * @param wordEmbeddings     [vocab, hidden]
 * @param positionEmbeddings [maxPositions, hidden]
 * @param typeEmbeddings     [typeVocab, hidden]
 * @param embNormWeight      [hidden]
 * @param embNormBias        [hidden]
 */
public record BertWeights(BertConfig config, float[] wordEmbeddings, float[] positionEmbeddings, float[] typeEmbeddings,
                          float[] embNormWeight, float[] embNormBias, Block[] blocks) {

    /**
     * One encoder block (post-LayerNorm).
     *
     * @param query    [hidden, hidden], bias qBias [hidden]; likewise key, value, attnOut
     * @param attnNormWeight [hidden] LayerNorm after attention + residual
     * @param up       [intermediate, hidden], upBias [intermediate]
     * @param down     [hidden, intermediate], downBias [hidden]
     * @param ffnNormWeight [hidden] LayerNorm after FFN + residual
     */
    public record Block(Linear query, float[] qBias, Linear key, float[] kBias, Linear value, float[] vBias,
                        Linear attnOut, float[] oBias, float[] attnNormWeight, float[] attnNormBias,
                        Linear up, float[] upBias, Linear down, float[] downBias,
                        float[] ffnNormWeight, float[] ffnNormBias) {
    }

    /** Checks every shape against the config; the message names the tensor and both shapes. */
    public BertWeights {
        BertConfig c = config;
        int h = c.hidden();
        len("word embeddings", wordEmbeddings, (long) c.vocab() * h);
        len("position embeddings", positionEmbeddings, (long) c.maxPositions() * h);
        len("token type embeddings", typeEmbeddings, (long) c.typeVocab() * h);
        len("embeddings LayerNorm weight", embNormWeight, h);
        len("embeddings LayerNorm bias", embNormBias, h);
        if (blocks.length != c.layers()) {
            throw new IllegalArgumentException("config says " + c.layers() + " layers, weights have " + blocks.length);
        }
        for (int i = 0; i < blocks.length; i++) {
            Block b = blocks[i];
            String p = "layer " + i + " ";
            shape(p + "query", b.query(), h, h);
            shape(p + "key", b.key(), h, h);
            shape(p + "value", b.value(), h, h);
            shape(p + "attention output", b.attnOut(), h, h);
            shape(p + "intermediate", b.up(), c.intermediate(), h);
            shape(p + "output", b.down(), h, c.intermediate());
            len(p + "query bias", b.qBias(), h);
            len(p + "key bias", b.kBias(), h);
            len(p + "value bias", b.vBias(), h);
            len(p + "attention output bias", b.oBias(), h);
            len(p + "intermediate bias", b.upBias(), c.intermediate());
            len(p + "output bias", b.downBias(), h);
            len(p + "attention LayerNorm weight", b.attnNormWeight(), h);
            len(p + "attention LayerNorm bias", b.attnNormBias(), h);
            len(p + "output LayerNorm weight", b.ffnNormWeight(), h);
            len(p + "output LayerNorm bias", b.ffnNormBias(), h);
        }
    }

    private static void len(String what, float[] a, long expected) {
        if (a == null || a.length != expected) {
            throw new IllegalArgumentException(what + ": expected " + expected + " values, got " + (a == null ? "none" : a.length));
        }
    }

    private static void shape(String what, Linear l, int rows, int cols) {
        if (l == null || l.rows() != rows || l.cols() != cols) {
            throw new IllegalArgumentException(what + ": expected [" + rows + ", " + cols + "], got "
                    + (l == null ? "none" : "[" + l.rows() + ", " + l.cols() + "]"));
        }
    }
}
