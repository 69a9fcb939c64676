package dev.smelt.compress.prune;

import dev.smelt.compress.BlockProjections;
import dev.smelt.compress.ImportanceMatrix;
import dev.smelt.compress.ModelRewriter;
import dev.smelt.compress.TensorFloats;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.gguf.GgufValue;
import dev.smelt.model.gguf.GgufWriter;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.util.List;
import java.util.function.Consumer;

/**
 * Prunes the selected block projections of a GGUF model: each tensor is decoded to float32, its
 * lowest-scored weights per output row are zeroed ({@link Pruner}), and it is re-encoded in its own
 * type (or {@code type} when given), with the importance vector when there is one, so the file runs
 * unchanged in smelt and llama.cpp. Symmetric formats (F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q6_K,
 * IQ4_NL) keep pruned weights exactly zero; formats with a per-block minimum (Q4_1, Q5_1, Q2_K,
 * Q4_K, Q5_K) may decode them to a small non-zero value.
 *
 * <p>The output records {@code smelt.prune.method}, {@code smelt.prune.sparsity} (fraction or N:M)
 * and {@code smelt.prune.tensors} in its metadata. Thread-safety: stateless.
 */
public final class ModelPruner {
    /** What was pruned. */
    public record Report(int tensors, long weights, long zeroed) {
    }

    /**
     * @param select     which tensors
     * @param type       output type of pruned tensors, or null to keep each tensor's type
     * @param importance required for Wanda; also passed to the quantizer
     * @param progress   receives each pruned tensor's name, or null
     */
    public record Options(PruneMethod method, Sparsity sparsity, BlockProjections select, GgmlType type,
                          ImportanceMatrix importance, Consumer<String> progress) {
        public Options {
            if (method == null || sparsity == null || select == null) {
                throw new IllegalArgumentException("method, sparsity and tensor selection are required");
            }
            if (method == PruneMethod.WANDA && importance == null) {
                throw new IllegalArgumentException("--method wanda needs activation statistics: give --imatrix FILE or --calibration TEXT");
            }
        }
    }

    private ModelPruner() {
    }

    /**
     * Builds the pruned model; call {@code write} on the result.
     *
     * @param report receives the totals (array of one), may be null
     */
    public static GgufWriter prune(GgufFile src, Options o, ThreadPool pool, Report[] report) {
        long[] totals = new long[3];
        GgufWriter w = ModelRewriter.rewrite(src, t -> {
            if (!o.select().matches(t.name())) {
                return null;
            }
            if (t.dims().length != 2) {
                throw new IllegalArgumentException(src.path() + ": tensor " + t.name() + " has dims "
                        + java.util.Arrays.toString(t.dims()) + "; only 2-D projections can be pruned");
            }
            int cols = (int) t.ne0();
            int rows = (int) t.rows();
            float[] imp = o.importance() == null ? null : o.importance().forTensor(t.name());
            if (imp != null && imp.length != cols) {
                throw new IllegalArgumentException("imatrix entry for " + t.name() + " has " + imp.length
                        + " values, the tensor has " + cols + " columns");
            }
            if (o.method() == PruneMethod.WANDA && imp == null) {
                throw new IllegalArgumentException("the importance matrix has no entry for " + t.name()
                        + " (was it collected on this model?)");
            }
            float[] x = TensorFloats.decode(src, t);
            long zeroed = Pruner.prune(x, rows, cols, o.method(), o.sparsity(), imp);
            GgmlType ty = o.type() != null ? o.type() : t.type();
            byte[] data = TensorFloats.encode(src.path() + ": " + t.name(), ty, x, rows, cols, imp, pool);
            totals[0]++;
            totals[1] += (long) rows * cols;
            totals[2] += zeroed;
            if (o.progress() != null) {
                o.progress().accept(t.name());
            }
            return List.of(new ModelRewriter.NewTensor(t.name(), t.dims(), ty, data));
        });
        w.put("smelt.prune.method", GgufValue.string(o.method().label()));
        w.put("smelt.prune.sparsity", GgufValue.string(o.sparsity().toString()));
        w.put("smelt.prune.tensors", GgufValue.string(String.join(",", o.select().kinds())));
        if (report != null) {
            report[0] = new Report((int) totals[0], totals[1], totals[2]);
        }
        return w;
    }
}
