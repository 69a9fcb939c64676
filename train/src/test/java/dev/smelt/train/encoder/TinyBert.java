package dev.smelt.train.encoder;

import dev.smelt.model.encoder.BertConfig;
import dev.smelt.model.encoder.BertWeights;
import dev.smelt.model.encoder.PackedLinear;
import dev.smelt.model.encoder.Pooling;
import java.util.Random;

/** A tiny BERT with random weights (seeded) for gradient and equivalence tests. */
final class TinyBert {
    static final int VOCAB = 23;
    static final int HIDDEN = 8;
    static final int HEADS = 2;
    static final int FFN = 12;

    private TinyBert() {
    }

    static BertWeights random(Pooling pooling, long seed) {
        Random r = new Random(seed);
        BertConfig c = new BertConfig(VOCAB, HIDDEN, 2, HEADS, FFN, 16, 2, 1e-5f, pooling, false, 16);
        BertWeights.Block[] blocks = new BertWeights.Block[c.layers()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = new BertWeights.Block(lin(r, HIDDEN, HIDDEN), vec(r, HIDDEN, 0, 0.2), lin(r, HIDDEN, HIDDEN), vec(r, HIDDEN, 0, 0.2),
                    lin(r, HIDDEN, HIDDEN), vec(r, HIDDEN, 0, 0.2), lin(r, HIDDEN, HIDDEN), vec(r, HIDDEN, 0, 0.2),
                    vec(r, HIDDEN, 1, 0.2), vec(r, HIDDEN, 0, 0.2), lin(r, FFN, HIDDEN), vec(r, FFN, 0, 0.2),
                    lin(r, HIDDEN, FFN), vec(r, HIDDEN, 0, 0.2), vec(r, HIDDEN, 1, 0.2), vec(r, HIDDEN, 0, 0.2));
        }
        return new BertWeights(c, vec(r, VOCAB * HIDDEN, 0, 1), vec(r, 16 * HIDDEN, 0, 0.3), vec(r, 2 * HIDDEN, 0, 0.3),
                vec(r, HIDDEN, 1, 0.2), vec(r, HIDDEN, 0, 0.2), blocks);
    }

    private static PackedLinear lin(Random r, int rows, int cols) {
        return new PackedLinear("w", vec(r, rows * cols, 0, 1.0 / Math.sqrt(cols)), rows, cols);
    }

    private static float[] vec(Random r, int n, double mean, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (mean + r.nextGaussian() * std);
        }
        return v;
    }
}
