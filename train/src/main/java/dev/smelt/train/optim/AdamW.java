package dev.smelt.train.optim;

/**
 * AdamW with decoupled weight decay, element for element as {@code torch.optim.AdamW} (v2.x,
 * single-tensor path) computes it in float32:
 * p ← p·(1 − lr·wd); m ← m + (1−β1)(g − m); v ← β2·v + (1−β2)·g²;
 * p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε).
 * Moments are owned here, one pair per parameter array, and are part of the checkpoint.
 * Not thread-safe.
 */
public final class AdamW {
    public static final float DEFAULT_BETA1 = 0.9f;
    public static final float DEFAULT_BETA2 = 0.999f;
    public static final float DEFAULT_EPS = 1e-8f;

    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    private final float[][] m; // per parameter, same length as it
    private final float[][] v;
    private long step;

    /** @param sizes length of each parameter array, in the order {@link #update} receives them */
    public AdamW(int[] sizes, float weightDecay, float beta1, float beta2, float eps) {
        if (!(weightDecay >= 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0)) {
            throw new IllegalArgumentException("AdamW: weight decay " + weightDecay + ", betas (" + beta1 + ", " + beta2 + "), eps " + eps
                    + " must satisfy wd ≥ 0, 0 ≤ β < 1, ε > 0");
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.m = new float[sizes.length][];
        this.v = new float[sizes.length][];
        for (int i = 0; i < sizes.length; i++) {
            m[i] = new float[sizes[i]];
            v[i] = new float[sizes[i]];
        }
    }

    public AdamW(int[] sizes, float weightDecay) {
        this(sizes, weightDecay, DEFAULT_BETA1, DEFAULT_BETA2, DEFAULT_EPS);
    }

    /** Starts a step (increments t); then call {@link #update} for every parameter. */
    public void beginStep() {
        step++;
    }

    /** Updates parameter {@code index} in place from its gradient. */
    public void update(int index, float[] p, float[] g, float lr) {
        float[] mi = m[index];
        float[] vi = v[index];
        if (p.length != mi.length || g.length != mi.length) {
            throw new IllegalArgumentException("parameter " + index + " has " + p.length + " values, gradient " + g.length + ", state " + mi.length);
        }
        float bc1 = (float) (1 - Math.pow(beta1, step));
        float bc2sqrt = (float) Math.sqrt(1 - Math.pow(beta2, step));
        float stepSize = lr / bc1;
        float decay = 1 - lr * weightDecay;
        for (int i = 0; i < p.length; i++) {
            float gi = g[i];
            p[i] *= decay;
            mi[i] += (1 - beta1) * (gi - mi[i]);
            vi[i] = vi[i] * beta2 + (1 - beta2) * gi * gi;
            float denom = (float) Math.sqrt(vi[i]) / bc2sqrt + eps;
            p[i] -= stepSize * (mi[i] / denom);
        }
    }

    public long step() {
        return step;
    }

    public float[][] firstMoments() {
        return m;
    }

    public float[][] secondMoments() {
        return v;
    }

    /** Restores state from a checkpoint (arrays are copied). */
    public void restore(long step, float[][] m1, float[][] m2) {
        if (m1.length != m.length || m2.length != v.length) {
            throw new IllegalArgumentException("checkpoint has moments for " + m1.length + " parameters, optimizer " + m.length);
        }
        for (int i = 0; i < m.length; i++) {
            if (m1[i].length != m[i].length || m2[i].length != v[i].length) {
                throw new IllegalArgumentException("checkpoint moment " + i + " has " + m1[i].length + " values, expected " + m[i].length);
            }
            System.arraycopy(m1[i], 0, m[i], 0, m[i].length);
            System.arraycopy(m2[i], 0, v[i], 0, v[i].length);
        }
        this.step = step;
    }
}
