package dev.smelt.compress.quality;

import dev.smelt.model.KvCache;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.gguf.GgufValue;
import dev.smelt.model.gguf.GgufValueType;
import dev.smelt.model.gguf.GgufWriter;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntConsumer;

/**
 * Importance matrix as llama.cpp's {@code llama-imatrix} collects it: the calibration tokens are cut
 * into chunks of {@code ctx} (first token of each chunk = BOS when the vocabulary adds one), every
 * chunk runs from an empty cache, and for each block weight the sum of squared input activations per
 * input column ({@code in_sum2}, summed in float in token order) and the number of tokens ({@code counts})
 * are accumulated. Output weights outside the blocks are not collected (llama-imatrix's default).
 * Not thread-safe.
 */
public final class ImatrixCollector {
    private final Map<String, float[]> sums = new TreeMap<>();
    private final Map<String, long[]> counts = new TreeMap<>();
    private int chunks;
    private boolean f16Cache = true;

    /** Round keys/values to half precision as llama.cpp's default KV cache does (default on, to match llama-imatrix). */
    public ImatrixCollector f16Cache(boolean on) {
        this.f16Cache = on;
        return this;
    }

    /** Runs every whole chunk of {@code tokens} through {@code m}, reporting progress per chunk. */
    public void collect(DecoderModel m, ThreadPool pool, int[] tokens, int ctx, int bos, IntConsumer progress) {
        chunks += runChunks(m, pool, tokens, ctx, bos, f16Cache, this::observe, progress);
    }

    /**
     * Runs every whole chunk of {@code tokens} (each from an empty cache, first token replaced by
     * {@code bos} when ≥ 0) through {@code m} with {@code observer} seeing every block matmul's input.
     *
     * @return the number of chunks run
     */
    public static int runChunks(DecoderModel m, ThreadPool pool, int[] tokens, int ctx, int bos, boolean f16Cache,
            DecoderModel.MatmulObserver observer, IntConsumer progress) {
        Perplexity.validate(tokens.length, ctx);
        int n = ChunkScorer.chunkCount(tokens.length, ctx);
        m.setMatmulObserver(observer);
        try {
            for (int c = 0; c < n; c++) {
                int[] chunk = Arrays.copyOfRange(tokens, c * ctx, (c + 1) * ctx);
                if (bos >= 0) {
                    chunk[0] = bos;
                }
                KvCache cache = m.newCache(ctx, f16Cache);
                for (int start = 0; start < ctx; start += ChunkScorer.BATCH) {
                    int len = Math.min(ChunkScorer.BATCH, ctx - start);
                    m.forward(pool, Arrays.copyOfRange(chunk, start, start + len), len, cache, false);
                }
                if (progress != null) {
                    progress.accept(c + 1);
                }
            }
        } finally {
            m.setMatmulObserver(null);
        }
        return n;
    }

    private void observe(String name, float[] x, int batch, int cols) {
        float[] s = sums.computeIfAbsent(name, k -> new float[cols]);
        for (int b = 0; b < batch; b++) {
            int o = b * cols;
            for (int j = 0; j < cols; j++) {
                s[j] += x[o + j] * x[o + j];
            }
        }
        counts.computeIfAbsent(name, k -> new long[1])[0] += batch;
    }

    public int chunks() {
        return chunks;
    }

    /** Per tensor: in_sum2 [cols]. */
    public Map<String, float[]> sums() {
        return sums;
    }

    public long count(String tensor) {
        long[] c = counts.get(tensor);
        return c == null ? 0 : c[0];
    }

    /** The collected statistics as llama-quantize reads them: in_sum2 / count per tensor (mean x² per column). */
    public dev.smelt.compress.ImportanceMatrix importance() {
        Map<String, float[]> out = new TreeMap<>();
        for (Map.Entry<String, float[]> e : sums.entrySet()) {
            float n = count(e.getKey());
            float[] v = e.getValue().clone();
            for (int i = 0; i < v.length; i++) {
                v[i] = n > 0 ? v[i] / n : 1f;
            }
            out.put(e.getKey(), v);
        }
        return dev.smelt.compress.ImportanceMatrix.of(out);
    }

    /** Writes llama.cpp's imatrix GGUF: {@code NAME.in_sum2} F32 [cols] and {@code NAME.counts} F32 [1]. */
    public void write(Path out, String dataset, int ctx) throws IOException {
        GgufWriter w = new GgufWriter();
        w.put("general.type", GgufValue.string("imatrix"));
        w.put("imatrix.datasets", GgufValue.array(GgufValueType.STRING, new String[] {dataset}));
        w.put("imatrix.chunk_count", GgufValue.uint32(chunks));
        w.put("imatrix.chunk_size", GgufValue.uint32(ctx));
        for (Map.Entry<String, float[]> e : sums.entrySet()) {
            w.tensor(e.getKey() + ".in_sum2", new long[] {e.getValue().length}, GgmlType.F32, floats(e.getValue()));
            w.tensor(e.getKey() + ".counts", new long[] {1}, GgmlType.F32, floats(new float[] {count(e.getKey())}));
        }
        w.write(out);
    }

    private static byte[] floats(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }
}
