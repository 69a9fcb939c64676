package dev.smelt.train.autograd;

/**
 * A row-major float matrix [rows, cols] on a {@link Tape}, with a gradient buffer allocated on first
 * use. Vectors are [1, n]. Not thread-safe: a tensor belongs to the tape that made it.
 */
public final class Tensor {
    public final float[] data; // [rows, cols]
    public final int rows;
    public final int cols;
    /** False for constants (token embeddings): backward rules skip their input gradient. */
    public final boolean requiresGrad;
    private float[] grad;      // [rows, cols], null until something flows into it

    public Tensor(float[] data, int rows, int cols, boolean requiresGrad) {
        if (rows < 0 || cols < 0 || (long) rows * cols != data.length) {
            throw new IllegalArgumentException("tensor shape [" + rows + ", " + cols + "] does not fit " + data.length + " values");
        }
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.requiresGrad = requiresGrad;
    }

    public static Tensor zeros(int rows, int cols, boolean requiresGrad) {
        return new Tensor(new float[rows * cols], rows, cols, requiresGrad);
    }

    /** The gradient, allocating zeros on first call. */
    public float[] grad() {
        if (grad == null) {
            grad = new float[data.length];
        }
        return grad;
    }

    /** The gradient, or null when none has flowed in (nothing downstream depended on this tensor). */
    public float[] gradOrNull() {
        return grad;
    }

    /** Adds {@code g} into the gradient (how a checkpointed block receives its output gradient). */
    public void accumulateGrad(float[] g) {
        if (g.length != data.length) {
            throw new IllegalArgumentException("gradient has " + g.length + " values, tensor " + data.length);
        }
        float[] d = grad();
        for (int i = 0; i < g.length; i++) {
            d[i] += g[i];
        }
    }

    /**
     * Adds {@code g} into the gradient, taking the array itself when no gradient exists yet (no copy). The
     * caller hands over ownership: {@code g} must not be written or given to another tensor afterwards.
     */
    public void adoptGrad(float[] g) {
        if (grad == null) {
            if (g.length != data.length) {
                throw new IllegalArgumentException("gradient has " + g.length + " values, tensor " + data.length);
            }
            grad = g;
        } else {
            accumulateGrad(g);
        }
    }

    public int size() {
        return data.length;
    }
}
