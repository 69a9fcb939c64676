package dev.smelt.compress.lowrank;

import dev.smelt.compress.BlockProjections;
import dev.smelt.compress.ImportanceMatrix;
import dev.smelt.compress.ModelRewriter;
import dev.smelt.compress.TensorFloats;
import dev.smelt.model.LowRankLinear;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.gguf.GgufValue;
import dev.smelt.model.gguf.GgufWriter;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Replaces the selected block projections of a GGUF model by their activation-aware low-rank
 * factors ({@link LowRankFactorizer}).
 * <ul>
 *   <li>Factored (default): {@code NAME.weight} is replaced by {@code NAME.lr_a.weight} (A, ggml
 *       dims {cols, r}) and {@code NAME.lr_b.weight} (B, ggml dims {r, rows}); smelt loads them as a
 *       {@link LowRankLinear}. A projection is kept dense when factors would not be smaller
 *       (r·(rows + cols) ≥ rows·cols). llama.cpp cannot load these files.</li>
 *   <li>Dense ({@code dense = true}): B·A is written in place of W, same name, dims and type, so the
 *       file runs in llama.cpp; it is no smaller, but shows the quality of the approximation.</li>
 * </ul>
 * Factors are encoded in {@code type} (default: the source tensor's type); a factor whose row
 * length is not a multiple of that type's block size (B's row is r long) is written as F16
 * (F32 when the source is F32). The output records {@code smelt.lowrank.rule}, {@code .tensors} and
 * {@code .dense}. Thread-safety: stateless.
 */
public final class ModelFactorizer {
    /** Per-tensor outcome. */
    public record TensorReport(String name, int rows, int cols, int rank, double energyKept, boolean factored) {
    }

    /**
     * @param type       type of factors / reconstructed tensors, or null for each tensor's own type
     * @param importance activation statistics (mean x² per input column), or null for plain SVD
     */
    public record Options(RankRule rule, BlockProjections select, boolean dense, GgmlType type, ImportanceMatrix importance,
                          Consumer<TensorReport> progress) {
        public Options {
            if (rule == null || select == null) {
                throw new IllegalArgumentException("rank rule and tensor selection are required");
            }
        }
    }

    private ModelFactorizer() {
    }

    /** Builds the factored model; call {@code write} on the result. Reports are appended to {@code reports} when non-null. */
    public static GgufWriter factor(GgufFile src, Options o, ThreadPool pool, List<TensorReport> reports) {
        GgufWriter w = ModelRewriter.rewrite(src, t -> {
            if (!o.select().matches(t.name())) {
                return null;
            }
            if (t.dims().length != 2) {
                throw new IllegalArgumentException(src.path() + ": tensor " + t.name() + " has dims "
                        + java.util.Arrays.toString(t.dims()) + "; only 2-D projections can be factored");
            }
            int cols = (int) t.ne0();
            int rows = (int) t.rows();
            float[] imp = o.importance() == null ? null : o.importance().forTensor(t.name());
            if (o.importance() != null && (imp == null || imp.length != cols)) {
                throw new IllegalArgumentException("the importance matrix has " + (imp == null ? "no entry" : imp.length + " values")
                        + " for " + t.name() + " (" + cols + " columns); was it collected on this model?");
            }
            LowRankFactorizer.Factors f = LowRankFactorizer.factor(TensorFloats.decode(src, t), rows, cols, imp, o.rule());
            GgmlType ty = o.type() != null ? o.type() : t.type();
            List<ModelRewriter.NewTensor> out = new ArrayList<>();
            boolean smaller = (long) f.rank() * (rows + cols) < (long) rows * cols;
            String what = src.path() + ": " + t.name();
            if (o.dense()) {
                out.add(new ModelRewriter.NewTensor(t.name(), t.dims(), ty, TensorFloats.encode(what, ty, f.reconstruct(), rows, cols, imp, pool)));
            } else if (smaller) {
                String[] names = LowRankLinear.factorNames(t.name());
                GgmlType ta = typeFor(ty, cols);
                GgmlType tb = typeFor(ty, f.rank());
                out.add(new ModelRewriter.NewTensor(names[0], new long[] {cols, f.rank()}, ta,
                        TensorFloats.encode(what + " factor A", ta, f.a(), f.rank(), cols, imp, pool)));
                out.add(new ModelRewriter.NewTensor(names[1], new long[] {f.rank(), rows}, tb,
                        TensorFloats.encode(what + " factor B", tb, f.b(), rows, f.rank(), null, pool)));
            }
            TensorReport rep = new TensorReport(t.name(), rows, cols, f.rank(), f.energyKept(), o.dense() || smaller);
            if (reports != null) {
                reports.add(rep);
            }
            if (o.progress() != null) {
                o.progress().accept(rep);
            }
            return out.isEmpty() ? null : out;
        });
        w.put("smelt.lowrank.rule", GgufValue.string(o.rule().toString()));
        w.put("smelt.lowrank.tensors", GgufValue.string(String.join(",", o.select().kinds())));
        w.put("smelt.lowrank.dense", GgufValue.bool(o.dense()));
        return w;
    }

    /** {@code preferred} when rows of {@code len} fit it, else F16 (F32 for F32). */
    static GgmlType typeFor(GgmlType preferred, int len) {
        if (TensorFloats.fits(preferred, len)) {
            return preferred;
        }
        return preferred == GgmlType.F32 ? GgmlType.F32 : GgmlType.F16;
    }
}
