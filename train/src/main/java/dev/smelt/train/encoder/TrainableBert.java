package dev.smelt.train.encoder;

import dev.smelt.model.Linear;
import dev.smelt.model.encoder.BertConfig;
import dev.smelt.model.encoder.BertWeights;
import dev.smelt.model.encoder.PackedLinear;
import dev.smelt.model.safetensors.SafetensorsWriter;
import dev.smelt.tensor.PackedGemm;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.train.autograd.Grad;
import dev.smelt.train.autograd.Tape;
import dev.smelt.train.autograd.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A BERT encoder with every weight trainable (full fine-tuning) plus a linear classification head on the
 * pooled output. The forward pass is the inference {@code BertModel}'s, op for op, on packed sequences
 * (tokens of a batch concatenated; attention restricted to each sequence), written with {@link Grad}'s rules.
 *
 * <p>The word-embedding table [vocab, hidden] stays frozen: its gradient touches only the rows of a batch's
 * tokens while AdamW over all 30,522 rows would cost three more copies of it (~140 MB) and a full pass per
 * step; position and token-type embeddings, every LayerNorm, projection and bias are trained.
 *
 * <p>Parameters are kept as {@link Tensor}s in a fixed order ({@link #names()}); a data-parallel worker
 * takes a {@link #view()} (tensors sharing the values, with its own gradient buffers). Not thread-safe
 * except that views may run forward/backward concurrently while nobody updates the values.
 */
public final class TrainableBert {
    /** Parameters per block, in this order. */
    private static final String[] BLOCK = {
        "attention.self.query.weight", "attention.self.query.bias", "attention.self.key.weight", "attention.self.key.bias",
        "attention.self.value.weight", "attention.self.value.bias", "attention.output.dense.weight", "attention.output.dense.bias",
        "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias", "intermediate.dense.weight", "intermediate.dense.bias",
        "output.dense.weight", "output.dense.bias", "output.LayerNorm.weight", "output.LayerNorm.bias"};
    private static final int HEAD = 4; // position, type, embeddings LayerNorm weight, bias
    public static final String HEAD_WEIGHT = "classifier.weight";
    public static final String HEAD_BIAS = "classifier.bias";
    /** Standard deviation of the head's initial weights (BERT's initializer_range). */
    static final double HEAD_INIT_STD = 0.02;

    private final BertConfig config;
    private final float[] word;   // [vocab, hidden], frozen
    private final List<String> names = new ArrayList<>();
    private final Tensor[] params;
    private final int labels;

    private TrainableBert(BertConfig config, float[] word, List<float[]> values, List<int[]> shapes, List<String> names, int labels) {
        this.config = config;
        this.word = word;
        this.labels = labels;
        this.names.addAll(names);
        this.params = new Tensor[values.size()];
        for (int i = 0; i < params.length; i++) {
            params[i] = new Tensor(values.get(i), shapes.get(i)[0], shapes.get(i)[1], true);
        }
    }

    /**
     * Copies a loaded encoder's weights (any {@link Linear}: dense weights are recovered exactly as products
     * with the identity) and adds a head [labels, hidden] drawn from N(0, 0.02²) with {@code seed}, bias 0.
     */
    public static TrainableBert from(BertWeights w, int labels, long seed, ThreadPool pool) {
        if (labels < 2) {
            throw new IllegalArgumentException("need at least 2 labels, got " + labels);
        }
        BertConfig c = w.config();
        int h = c.hidden();
        List<float[]> v = new ArrayList<>();
        List<int[]> s = new ArrayList<>();
        List<String> n = new ArrayList<>();
        add(v, s, n, "embeddings.position_embeddings.weight", w.positionEmbeddings().clone(), c.maxPositions(), h);
        add(v, s, n, "embeddings.token_type_embeddings.weight", w.typeEmbeddings().clone(), c.typeVocab(), h);
        add(v, s, n, "embeddings.LayerNorm.weight", w.embNormWeight().clone(), 1, h);
        add(v, s, n, "embeddings.LayerNorm.bias", w.embNormBias().clone(), 1, h);
        for (int i = 0; i < c.layers(); i++) {
            BertWeights.Block b = w.blocks()[i];
            Object[] parts = {b.query(), b.qBias(), b.key(), b.kBias(), b.value(), b.vBias(), b.attnOut(), b.oBias(),
                b.attnNormWeight(), b.attnNormBias(), b.up(), b.upBias(), b.down(), b.downBias(), b.ffnNormWeight(), b.ffnNormBias()};
            for (int j = 0; j < BLOCK.length; j++) {
                String name = "encoder.layer." + i + "." + BLOCK[j];
                if (parts[j] instanceof Linear l) {
                    add(v, s, n, name, dense(l, pool), l.rows(), l.cols());
                } else {
                    float[] a = ((float[]) parts[j]).clone();
                    add(v, s, n, name, a, 1, a.length);
                }
            }
        }
        float[] hw = new float[labels * h];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < hw.length; i++) {
            hw[i] = (float) (gaussian(r) * HEAD_INIT_STD);
        }
        add(v, s, n, HEAD_WEIGHT, hw, labels, h);
        add(v, s, n, HEAD_BIAS, new float[labels], 1, labels);
        return new TrainableBert(c, w.wordEmbeddings(), v, s, n, labels);
    }

    private static double gaussian(SplittableRandom r) {
        double u = 1 - r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    private static void add(List<float[]> v, List<int[]> s, List<String> n, String name, float[] a, int rows, int cols) {
        v.add(a);
        s.add(new int[] {rows, cols});
        n.add(name);
    }

    /**
     * W [rows, cols] of a projection: unpacked from a {@link PackedLinear}; any other {@link Linear} through
     * x = I [cols, cols], which gives out = Wᵀ exactly (products with 0 and 1).
     */
    static float[] dense(Linear l, ThreadPool pool) {
        if (l instanceof PackedLinear p) {
            return p.weights();
        }
        int rows = l.rows();
        int cols = l.cols();
        float[] eye = new float[cols * cols];
        for (int i = 0; i < cols; i++) {
            eye[i * cols + i] = 1f;
        }
        float[] wt = new float[cols * rows]; // [cols, rows]
        l.matmul(pool, eye, cols, wt);
        float[] w = new float[rows * cols];
        for (int c = 0; c < cols; c++) {
            for (int r = 0; r < rows; r++) {
                w[r * cols + c] = wt[c * rows + r];
            }
        }
        return w;
    }

    public BertConfig config() {
        return config;
    }

    public int labels() {
        return labels;
    }

    public List<String> names() {
        return List.copyOf(names);
    }

    /** The master parameters (values updated in place by the optimizer). */
    public Tensor[] params() {
        return params;
    }

    /** Tensors sharing every parameter's values, with fresh gradient buffers (one per data-parallel worker). */
    public Tensor[] view() {
        Tensor[] v = new Tensor[params.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = new Tensor(params[i].data, params[i].rows, params[i].cols, true);
        }
        return v;
    }

    /** True for parameters that AdamW decays (matrices; not biases, LayerNorms or embeddings), as BERT trains. */
    public boolean decays(int index) {
        String n = names.get(index);
        return n.endsWith(".weight") && !n.contains("LayerNorm") && !n.startsWith("embeddings.");
    }

    /** Every projection packed both ways for one step (weights do not change within it); null for vectors. */
    public record Packed(float[][] forward, float[][] transposed) {
    }

    public Packed pack(ThreadPool pool) {
        float[][] f = new float[params.length][];
        float[][] t = new float[params.length][];
        pool.parallelFor(params.length, i -> {
            if (isProjection(i)) {
                Tensor p = params[i];
                f[i] = PackedGemm.pack(p.data, p.rows, p.cols);
                t[i] = PackedGemm.packTransposed(p.data, p.rows, p.cols);
            }
        });
        return new Packed(f, t);
    }

    private boolean isProjection(int i) {
        String n = names.get(i);
        return n.startsWith("encoder.") && n.endsWith(".weight") && !n.contains("LayerNorm");
    }

    /**
     * Pooled sentence vectors (not normalized) of packed sequences.
     *
     * @param p       {@link #view()} or {@link #params()}
     * @param packed  from {@link #pack}, or null to pack inside each product
     * @param dropout BERT's hidden dropout (after each sublayer's output projection and after the embeddings); 0 at inference
     * @return [seqs.length, hidden]
     */
    public Tensor encode(Tape tape, Tensor[] p, Packed packed, int[][] seqs, float dropout, long seed) {
        int[] starts = new int[seqs.length + 1];
        for (int s = 0; s < seqs.length; s++) {
            if (seqs[s].length == 0 || seqs[s].length > config.maxPositions()) {
                throw new IllegalArgumentException("sequence " + s + " has " + seqs[s].length + " tokens; allowed 1.." + config.maxPositions());
            }
            starts[s + 1] = starts[s] + seqs[s].length;
        }
        int tokens = starts[seqs.length];
        int[] keyStart = new int[tokens];
        int[] keyEnd = new int[tokens];
        for (int s = 0; s < seqs.length; s++) {
            for (int t = starts[s]; t < starts[s + 1]; t++) {
                keyStart[t] = starts[s];
                keyEnd[t] = starts[s + 1];
            }
        }
        float eps = config.layerNormEps();
        int heads = config.heads();
        int hd = config.headDim();
        float scale = (float) (1.0 / Math.sqrt(hd));
        long drop = seed;
        Tensor x = Grad.bertEmbeddings(tape, word, p[0], p[1], seqs, starts);
        x = Grad.layerNorm(tape, x, p[2], p[3], eps);
        x = Grad.dropout(tape, x, dropout, drop++);
        for (int l = 0; l < config.layers(); l++) {
            int o = HEAD + l * BLOCK.length;
            Tensor q = proj(tape, x, p, packed, o);
            Tensor k = proj(tape, x, p, packed, o + 2);
            Tensor v = proj(tape, x, p, packed, o + 4);
            Tensor ctx = Grad.attention(tape, q, k, v, heads, heads, hd, keyStart, keyEnd, scale);
            Tensor a = Grad.dropout(tape, proj(tape, ctx, p, packed, o + 6), dropout, drop++);
            x = Grad.layerNorm(tape, Grad.add(tape, x, a), p[o + 8], p[o + 9], eps);
            Tensor u = Grad.gelu(tape, proj(tape, x, p, packed, o + 10));
            Tensor d = Grad.dropout(tape, proj(tape, u, p, packed, o + 12), dropout, drop++);
            x = Grad.layerNorm(tape, Grad.add(tape, x, d), p[o + 14], p[o + 15], eps);
        }
        return Grad.pool(tape, x, starts, config.pooling());
    }

    /** Classification logits [rows, labels] = dropout(pooled)·Wᵀ + b. */
    public Tensor logits(Tape tape, Tensor[] p, Tensor pooled, float dropout, long seed) {
        int w = params.length - 2;
        Tensor x = Grad.dropout(tape, pooled, dropout, seed);
        return Grad.bias(tape, Grad.dense(tape, x, p[w], null, null), p[w + 1]);
    }

    private static Tensor proj(Tape tape, Tensor x, Tensor[] p, Packed packed, int i) {
        Tensor y = Grad.dense(tape, x, p[i], packed == null ? null : packed.forward[i], packed == null ? null : packed.transposed[i]);
        return Grad.bias(tape, y, p[i + 1]);
    }

    /** The head's weights [labels, hidden] and bias [labels] (copies). */
    public float[] headWeights() {
        return params[params.length - 2].data.clone();
    }

    public float[] headBias() {
        return params[params.length - 1].data.clone();
    }

    /** Sets the head's bias (before training: a multi-label head starts at each label's prior log-odds). */
    public void setHeadBias(float[] b) {
        float[] d = params[params.length - 1].data;
        if (b.length != d.length) {
            throw new IllegalArgumentException(b.length + " biases for a head of " + d.length);
        }
        System.arraycopy(b, 0, d, 0, d.length);
    }

    /** Current encoder weights as the inference engine holds them (projections packed). */
    public BertWeights toWeights() {
        java.util.function.Function<String, float[]> t = name -> params[names.indexOf(name)].data.clone();
        BertWeights.Block[] blocks = new BertWeights.Block[config.layers()];
        for (int l = 0; l < blocks.length; l++) {
            String pre = "encoder.layer." + l + ".";
            java.util.function.Function<String, Linear> lin = name -> {
                Tensor p = params[names.indexOf(pre + name)];
                return new PackedLinear(pre + name, p.data, p.rows, p.cols);
            };
            java.util.function.Function<String, float[]> vec = name -> t.apply(pre + name);
            blocks[l] = new BertWeights.Block(lin.apply(BLOCK[0]), vec.apply(BLOCK[1]), lin.apply(BLOCK[2]), vec.apply(BLOCK[3]),
                    lin.apply(BLOCK[4]), vec.apply(BLOCK[5]), lin.apply(BLOCK[6]), vec.apply(BLOCK[7]), vec.apply(BLOCK[8]),
                    vec.apply(BLOCK[9]), lin.apply(BLOCK[10]), vec.apply(BLOCK[11]), lin.apply(BLOCK[12]), vec.apply(BLOCK[13]),
                    vec.apply(BLOCK[14]), vec.apply(BLOCK[15]));
        }
        return new BertWeights(config, word, t.apply("embeddings.position_embeddings.weight"),
                t.apply("embeddings.token_type_embeddings.weight"), t.apply("embeddings.LayerNorm.weight"),
                t.apply("embeddings.LayerNorm.bias"), blocks);
    }

    /** Copies of every parameter's values (a best-epoch snapshot). */
    public float[][] snapshot() {
        float[][] s = new float[params.length][];
        for (int i = 0; i < s.length; i++) {
            s[i] = params[i].data.clone();
        }
        return s;
    }

    public void restore(float[][] s) {
        for (int i = 0; i < s.length; i++) {
            System.arraycopy(s[i], 0, params[i].data, 0, s[i].length);
        }
    }

    /**
     * Writes the encoder as Hugging Face names it ({@code model.safetensors}, F32, temp file then rename),
     * which {@code SafetensorsBertLoader} reads back; the head is not included (it lives in classifier.json).
     */
    public void saveEncoder(Path file) throws IOException {
        SafetensorsWriter wr = new SafetensorsWriter().metadata("format", "pt");
        int h = config.hidden();
        wr.f32("embeddings.word_embeddings.weight", new long[] {config.vocab(), h}, word);
        for (int i = 0; i < params.length - 2; i++) {
            Tensor p = params[i];
            long[] shape = p.rows == 1 ? new long[] {p.cols} : new long[] {p.rows, p.cols};
            wr.f32(names.get(i), shape, p.data);
        }
        wr.write(file);
    }
}
