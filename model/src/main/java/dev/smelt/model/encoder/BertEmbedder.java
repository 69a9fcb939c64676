package dev.smelt.model.encoder;

import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.tensor.ThreadPool;
import java.util.ArrayList;
import java.util.List;

/**
 * Sentence embeddings from a BERT encoder with WordPiece tokenization, computed the way langchain4j's
 * {@code OnnxBertBiEncoder} (the golden's reference) does:
 * <ol>
 *   <li>tokenize without specials; keep at most {@code maxTokens − 2} pieces (the tokenizer.json truncation,
 *       e.g. 128 for all-MiniLM-L6-v2, else the position limit);</li>
 *   <li>split the pieces into windows of at most {@code maxPositions − 2}, never inside a word
 *       (a window does not end right before a {@code ##} continuation);</li>
 *   <li>encode each window as [CLS] window [SEP], pool (mean or [CLS]);</li>
 *   <li>average the windows weighted by their piece counts, then L2-normalize if the model says so.</li>
 * </ol>
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
    private final ThreadPool pool;
    private final boolean ownsPool;
    private final int cls;
    private final int sep;
    private final boolean[] continuation; // piece id → starts with "##"

    /** @param pool the pool to compute on; {@code ownsPool}: close it with this embedder */
    public BertEmbedder(String name, Tokenizer tokenizer, BertWeights weights, ThreadPool pool, boolean ownsPool) {
        if (tokenizer == null || weights == null || pool == null) {
            throw new IllegalArgumentException("tokenizer, weights and pool must not be null");
        }
        this.name = name;
        this.tokenizer = tokenizer;
        this.model = new BertModel(weights);
        this.pool = pool;
        this.ownsPool = ownsPool;
        this.cls = special(tokenizer, "[CLS]");
        this.sep = special(tokenizer, "[SEP]");
        if (tokenizer.vocabSize() > weights.config().vocab()) {
            throw new IllegalArgumentException(name + ": tokenizer has " + tokenizer.vocabSize()
                    + " tokens but the model's embedding table only " + weights.config().vocab());
        }
        this.continuation = new boolean[tokenizer.vocabSize()];
        for (int i = 0; i < continuation.length; i++) {
            continuation[i] = tokenizer.piece(i).startsWith("##");
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
        int n = pieces(text).length;
        return n + 2 * Math.max(1, windowsOf(n));
    }

    @Override
    public float[][] embed(List<String> texts) {
        if (texts == null) {
            throw new IllegalArgumentException("texts must not be null");
        }
        List<int[]> windows = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String t = texts.get(i);
            if (t == null) {
                throw new IllegalArgumentException("text " + i + " is null");
            }
            for (int[] w : windows(pieces(t))) {
                windows.add(w);
                owner.add(i);
            }
        }
        int h = dimension();
        float[][] out = new float[texts.size()][h];
        float[] weight = new float[texts.size()];
        for (int b = 0; b < windows.size(); b += BATCH) {
            int e = Math.min(windows.size(), b + BATCH);
            int[][] seqs = new int[e - b][];
            for (int j = b; j < e; j++) {
                int[] pieces = windows.get(j);
                int[] s = new int[pieces.length + 2];
                s[0] = cls;
                System.arraycopy(pieces, 0, s, 1, pieces.length);
                s[s.length - 1] = sep;
                seqs[j - b] = s;
            }
            float[][] pooled = encode(seqs);
            for (int j = b; j < e; j++) {
                int i = owner.get(j);
                float wgt = Math.max(1, windows.get(j).length);
                weight[i] += wgt;
                float[] v = pooled[j - b];
                for (int d = 0; d < h; d++) {
                    out[i][d] += wgt * v[d];
                }
            }
        }
        for (int i = 0; i < out.length; i++) {
            for (int d = 0; d < h; d++) {
                out[i][d] /= weight[i];
            }
            if (model.config().normalize()) {
                EncoderOps.l2Normalize(out[i]);
            }
        }
        return out;
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
        // Greedy balance: longest first, each into the group with the fewest tokens so far.
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
            load[best] += seqs[i].length;
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

    /** Word pieces of {@code text} without specials, truncated to maxTokens − 2. */
    private int[] pieces(String text) {
        int[] ids = tokenizer.encode(text, false, true);
        int keep = model.config().maxTokens() - 2;
        return ids.length > keep ? java.util.Arrays.copyOf(ids, keep) : ids;
    }

    private int windowsOf(int n) {
        int size = model.config().maxPositions() - 2;
        return (n + size - 1) / size;
    }

    /** Splits pieces into windows of at most maxPositions − 2, backing off so no word is cut. */
    List<int[]> windows(int[] ids) {
        int size = model.config().maxPositions() - 2;
        List<int[]> out = new ArrayList<>();
        if (ids.length <= size) {
            out.add(ids);
            return out;
        }
        int start = 0;
        while (start < ids.length) {
            int end = Math.min(ids.length, start + size);
            if (end < ids.length) {
                int e = end;
                while (e > start + 1 && isContinuation(ids[e])) {
                    e--;
                }
                end = e;
            }
            out.add(java.util.Arrays.copyOfRange(ids, start, end));
            start = end;
        }
        return out;
    }

    private boolean isContinuation(int id) {
        return id >= 0 && id < continuation.length && continuation[id];
    }

    @Override
    public void close() {
        if (ownsPool) {
            pool.close();
        }
    }
}
