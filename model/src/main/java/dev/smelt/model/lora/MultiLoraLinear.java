package dev.smelt.model.lora;

import dev.smelt.model.Linear;
import dev.smelt.model.SequenceBatch;
import dev.smelt.tensor.ThreadPool;
import java.util.ArrayList;
import java.util.List;

/**
 * A shared base projection with several LoRA adapters selectable per sequence (multi-LoRA serving,
 * as vLLM and llama-server do): in a forward step the base W is read once for every row of the
 * batch, then each row whose sequence uses adapter k gets {@code scale_k · B_k·(A_k·x)} added. Rows
 * are grouped by adapter so each adapter's A and B are also read once per step. Row b's result is
 * the same float for float as a {@link LoraLinear} with adapter k alone would give it (the deltas are
 * added to the row's base output in the same order), whatever else shares the batch.
 *
 * <p>Without a {@link SequenceBatch} (plain {@link #matmul(ThreadPool, float[], int, float[])}) every
 * row is a base-model row. Immutable, thread-safe.
 */
public final class MultiLoraLinear implements Linear {
    private final Linear base;
    private final List<List<LoraLinear.Delta>> byAdapter; // [adapter id] → deltas; index 0 (base) and unadapted ids hold empty lists

    /** @param byAdapter deltas of adapter id k at index k (index 0, the base model, must be empty) */
    public MultiLoraLinear(Linear base, List<List<LoraLinear.Delta>> byAdapter) {
        if (base == null || byAdapter == null || byAdapter.isEmpty() || !byAdapter.get(0).isEmpty()) {
            throw new IllegalArgumentException("MultiLoraLinear needs a base and deltas by adapter id, none for id 0 (the base)");
        }
        List<List<LoraLinear.Delta>> copy = new ArrayList<>();
        for (List<LoraLinear.Delta> ds : byAdapter) {
            for (LoraLinear.Delta d : ds) {
                if (d.in() != base.cols() || d.rowOffset() + d.rows() > base.rows()) {
                    throw new IllegalArgumentException("LoRA delta rows [" + d.rowOffset() + ", " + (d.rowOffset() + d.rows()) + ") × in "
                            + d.in() + " do not fit " + base.name() + " [" + base.rows() + ", " + base.cols() + "]");
                }
            }
            copy.add(List.copyOf(ds));
        }
        this.base = base;
        this.byAdapter = List.copyOf(copy);
    }

    public Linear base() {
        return base;
    }

    /** Adapter ids this projection knows (1 .. adapters()). */
    public int adapters() {
        return byAdapter.size() - 1;
    }

    /** Deltas of adapter {@code id} (empty when that adapter does not touch this projection). */
    public List<LoraLinear.Delta> deltas(int id) {
        return byAdapter.get(id);
    }

    @Override
    public String name() {
        return base.name();
    }

    @Override
    public int rows() {
        return base.rows();
    }

    @Override
    public int cols() {
        return base.cols();
    }

    @Override
    public void matmul(ThreadPool pool, float[] x, int batch, float[] out) {
        base.matmul(pool, x, batch, out);
    }

    @Override
    public void matmul(ThreadPool pool, float[] x, int batch, float[] out, SequenceBatch rows) {
        base.matmul(pool, x, batch, out, rows);
        if (rows == null) {
            return;
        }
        if (rows.size() != batch) {
            throw new IllegalArgumentException(base.name() + ": batch of " + batch + " rows but the step has " + rows.size());
        }
        for (int id = 1; id < byAdapter.size(); id++) {
            List<LoraLinear.Delta> ds = byAdapter.get(id);
            if (!ds.isEmpty()) {
                addAdapter(id, ds, x, batch, out, rows);
            }
        }
        for (int b = 0; b < batch; b++) {
            if (rows.adapter(b) >= byAdapter.size()) {
                throw new IllegalArgumentException("batch row " + b + " uses adapter id " + rows.adapter(b) + " but " + base.name()
                        + " has " + adapters() + " adapters");
            }
        }
    }

    /** Gathers the rows of adapter {@code id}, adds its deltas to their outputs, scatters them back. */
    private void addAdapter(int id, List<LoraLinear.Delta> ds, float[] x, int batch, float[] out, SequenceBatch rows) {
        int n = 0;
        for (int b = 0; b < batch; b++) {
            n += rows.adapter(b) == id ? 1 : 0;
        }
        if (n == 0) {
            return;
        }
        int cols = base.cols();
        int outRows = base.rows();
        float[] xs = new float[n * cols];    // [n, cols] the adapter's rows of x
        float[] os = new float[n * outRows]; // [n, rows] their base outputs, deltas added in place
        for (int b = 0, i = 0; b < batch; b++) {
            if (rows.adapter(b) == id) {
                System.arraycopy(x, b * cols, xs, i * cols, cols);
                System.arraycopy(out, b * outRows, os, i * outRows, outRows);
                i++;
            }
        }
        for (LoraLinear.Delta d : ds) {
            d.addTo(xs, n, os, outRows);
        }
        for (int b = 0, i = 0; b < batch; b++) {
            if (rows.adapter(b) == id) {
                System.arraycopy(os, i * outRows, out, b * outRows, outRows);
                i++;
            }
        }
    }
}
