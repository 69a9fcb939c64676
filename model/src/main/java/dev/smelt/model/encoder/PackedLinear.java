package dev.smelt.model.encoder;

import dev.smelt.model.Linear;
import dev.smelt.tensor.PackedGemm;
import dev.smelt.tensor.ThreadPool;

/**
 * A dense F32 projection whose weights were repacked once into {@link PackedGemm} panels: the encoder
 * multiplies hundreds of tokens by each weight per call, where the packed kernel is several times faster
 * than per-row dots. Immutable, thread-safe.
 */
public final class PackedLinear implements Linear {
    private final String name;
    private final int rows;
    private final int cols;
    private final float[] packed; // [panels(rows), cols, PackedGemm.NR]

    /** @param w [rows, cols] row-major (PyTorch's [out, in]) */
    public PackedLinear(String name, float[] w, int rows, int cols) {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException(name + ": shape [" + rows + ", " + cols + "] must be positive");
        }
        this.name = name;
        this.rows = rows;
        this.cols = cols;
        this.packed = PackedGemm.pack(w, rows, cols);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public void matmul(ThreadPool pool, float[] x, int batch, float[] out) {
        PackedGemm.multiply(pool, x, batch, cols, packed, rows, null, out);
    }

    /** W [rows, cols] row-major, unpacked from the panels (exact copy; fine-tuning starts from it). */
    public float[] weights() {
        float[] w = new float[rows * cols];
        int nr = PackedGemm.NR;
        for (int r = 0; r < rows; r++) {
            int base = (r / nr) * cols * nr + r % nr;
            for (int c = 0; c < cols; c++) {
                w[r * cols + c] = packed[base + c * nr];
            }
        }
        return w;
    }

    /** out = x·Wᵀ + bias, the bias added in the kernel. */
    public void matmulBias(ThreadPool pool, float[] x, int batch, float[] bias, float[] out) {
        PackedGemm.multiply(pool, x, batch, cols, packed, rows, bias, out);
    }
}
