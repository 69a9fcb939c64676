package dev.smelt.model.encoder;

import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.tensor.ThreadPool;
import java.util.ArrayList;
import java.util.List;

/**
 * Sentence embeddings from a BERT encoder with WordPiece tokenization, computed the way langchain4j's
 * {@code OnnxBertBiEncoder} (the golden's reference) does in practice: tokenize, keep at most
 * {@code maxTokens − 2} word pieces (the tokenizer.json truncation, 128 for all-MiniLM-L6-v2; otherwise 510, as
 * the DJL tokenizer under langchain4j truncates to 512 by default, so its 510-piece partition averaging never
 * triggers: checked against onnxruntime on a 1,300-token text), encode [CLS] pieces [SEP], pool (mean or
 * [CLS]), L2-normalize if the model says so.
 * Many texts are encoded together (packed sequences, see {@link BertModel}) in batches of
 * {@link #BATCH} sequences. Thread-safe: the tokenizer and weights are immutable, and the pool serializes
 * parallel loops. Owns its thread pool: close it.
 */
public final class BertEmbedder implements Embedder {
    /** Sequences per forward pass: large enough for matrix-matrix products, small enough to bound buffers. */
    public static final int BATCH = 32;
    /** Independent groups per thread when a batch is split across threads (dynamic claiming balances load). */
    static final int GROUPS_PER_THREAD = 2;

    private final String name;
    private final Tokenizer tokenizer;
    private final BertModel model;
    private final BertWeights weights;
    private final ThreadPool pool;
    private final boolean ownsPool;
    private final int cls;
    private final int sep;

    /** @param pool the pool to compute on; {@code ownsPool}: close it with this embedder */
    public BertEmbedder(String name, Tokenizer tokenizer, BertWeights weights, ThreadPool pool, boolean ownsPool) {
        if (tokenizer == null || weights == null || pool == null) {
            throw new IllegalArgumentException("tokenizer, weights and pool must not be null");
        }
        this.name = name;
        this.tokenizer = tokenizer;
        this.model = new BertModel(weights);
        this.weights = weights;
        this.pool = pool;
        this.ownsPool = ownsPool;
        this.cls = special(tokenizer, "[CLS]");
        this.sep = special(tokenizer, "[SEP]");
        if (tokenizer.vocabSize() > weights.config().vocab()) {
            throw new IllegalArgumentException(name + ": tokenizer has " + tokenizer.vocabSize()
                    + " tokens but the model's embedding table only " + weights.config().vocab());
        }
    }

    private static int special(Tokenizer t, String piece) {
        return t.tokenId(piece).orElseThrow(() -> new IllegalArgumentException("tokenizer has no " + piece + " token"));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int dimension() {
        return model.config().hidden();
    }

    public BertConfig config() {
        return model.config();
    }

    @Override
    public int countTokens(String text) {
        return sequence(text).length;
    }

    @Override
    public int untruncatedTokens(String text) {
        return tokenizer.encode(text, false, true).length + 2;
    }

    @Override
    public float[][] embed(List<String> texts) {
        if (texts == null) {
            throw new IllegalArgumentException("texts must not be null");
        }
        float[][] out = new float[texts.size()][];
        for (int b = 0; b < texts.size(); b += BATCH) {
            int e = Math.min(texts.size(), b + BATCH);
            int[][] seqs = new int[e - b][];
            for (int j = b; j < e; j++) {
                String t = texts.get(j);
                if (t == null) {
                    throw new IllegalArgumentException("text " + j + " is null");
                }
                seqs[j - b] = sequence(t);
            }
            float[][] pooled = encode(seqs);
            for (int j = b; j < e; j++) {
                if (model.config().normalize()) {
                    EncoderOps.l2Normalize(pooled[j - b]);
                }
                out[j] = pooled[j - b];
            }
        }
        return out;
    }

    /** The WordPiece tokenizer (exporters write its vocabulary). */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The weights this embedder computes with (fine-tuning starts from them). */
    public BertWeights weights() {
        return weights;
    }

    /** The token ids the encoder sees for {@code text}: [CLS] word pieces (truncated as for embedding) [SEP]. */
    public int[] tokens(String text) {
        if (text == null) {
            throw new IllegalArgumentException("text must not be null");
        }
        return sequence(text);
    }

    /** [CLS] word pieces (truncated to maxTokens − 2) [SEP]. */
    int[] sequence(String text) {
        int[] pieces = tokenizer.encode(text, false, true);
        int n = Math.min(pieces.length, model.config().maxTokens() - 2);
        int[] s = new int[n + 2];
        s[0] = cls;
        System.arraycopy(pieces, 0, s, 1, n);
        s[n + 1] = sep;
        return s;
    }

    /**
     * Pooled vectors of one batch. With enough sequences, they are split into {@link #GROUPS_PER_THREAD} ×
     * threads groups of similar token counts, each encoded start to finish by one thread: no synchronization
     * inside the forward pass (one join per batch instead of ~10 per layer), which matters most on a loaded
     * machine where a descheduled worker stalls every parallel loop. Few sequences (a single request)
     * parallelize inside each matrix product instead, for latency.
     */
    private float[][] encode(int[][] seqs) {
        int threads = pool.threads();
        if (threads == 1 || seqs.length < 2 * threads) {
            return model.encode(pool, seqs);
        }
        int groups = Math.min(seqs.length, GROUPS_PER_THREAD * threads);
        // Greedy balance: longest first, each into the group with the least work so far; work counts the
        // projections (linear in length) and attention (quadratic), which matters near bge's 512-token limit.
        Integer[] order = new Integer[seqs.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Integer.compare(seqs[b].length, seqs[a].length));
        List<List<Integer>> members = new ArrayList<>();
        long[] load = new long[groups];
        for (int g = 0; g < groups; g++) {
            members.add(new ArrayList<>());
        }
        for (int i : order) {
            int best = 0;
            for (int g = 1; g < groups; g++) {
                if (load[g] < load[best]) {
                    best = g;
                }
            }
            members.get(best).add(i);
            load[best] += cost(seqs[i].length);
        }
        float[][] out = new float[seqs.length][];
        pool.parallelFor(groups, g -> {
            List<Integer> m = members.get(g);
            int[][] part = new int[m.size()][];
            for (int j = 0; j < part.length; j++) {
                part[j] = seqs[m.get(j)];
            }
            float[][] v;
            try (ThreadPool inline = new ThreadPool(1)) { // owns no threads: runs on the calling one
                v = model.encode(inline, part);
            }
            for (int j = 0; j < part.length; j++) {
                out[m.get(j)] = v[j];
            }
        });
        return out;
    }

    /** Multiply-adds per layer for a sequence of n tokens: q, k, v, o and the FFN per token, plus q·kᵀ and p·v. */
    long cost(int n) {
        BertConfig c = model.config();
        long perToken = 4L * c.hidden() * c.hidden() + 2L * c.hidden() * c.intermediate();
        return n * (perToken + 2L * c.hidden() * n);
    }

    @Override
    public void close() {
        if (ownsPool) {
            pool.close();
        }
    }
}
