package dev.smelt.tensor.ops;

/** Plain scalar references for {@link VectorOps}; the oracle in tests. Stateless, thread-safe. */
public final class ScalarOps {
    private ScalarOps() {
    }

    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) {
            s += a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    public static float max(float[] x, int off, int n) {
        float r = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            r = Math.max(r, x[off + i]);
        }
        return r;
    }

    public static double expShifted(float[] x, int off, int n, float shift, float scale, float[] dst, int dOff) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp((x[off + i] - shift) * scale);
            dst[dOff + i] = e;
            sum += e;
        }
        return sum;
    }

    public static void swiglu(float[] gate, int gOff, float[] up, int uOff, float[] out, int oOff, int n) {
        for (int i = 0; i < n; i++) {
            out[oOff + i] = Nn.silu(gate[gOff + i]) * up[uOff + i];
        }
    }
}
