package dev.smelt.tensor.quant;

import static dev.smelt.tensor.quant.Simd.F;
import static dev.smelt.tensor.quant.Simd.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * One activation row quantized to Q8_0-style blocks for the integer kernels: per 32 values a float
 * scale d = max|x|/127 and int8 q = round(x/d) (half away from zero, as ggml's roundf), so
 * x ≈ d·q with |error| ≤ d/2. Quantized once per matmul and reused by every weight row.
 *
 * <p>{@link #quantizeReference} is the scalar oracle; {@link #quantize} the Vector API version, which
 * computes the same float operations per element and so gives bit-identical results.
 * Not thread-safe: one instance per calling thread (the buffers are reused between matmuls).
 */
public final class Q8Activations {
    static final int BLOCK = 32;

    /** q[n]: quantized values, block b at [32b, 32b+32). */
    byte[] q = new byte[0];
    /** d[n/32]: block scales. */
    float[] d = new float[0];
    int n;

    /** Quantizes x[off .. off+n), n a multiple of 32, with the fastest available implementation. */
    public void quantize(float[] x, int off, int n) {
        ensure(n);
        if (Simd.supported()) {
            quantizeVector(x, off, n, q, d);
        } else {
            quantizeReference(x, off, n, q, d);
        }
    }

    private void ensure(int n) {
        if (n % BLOCK != 0) {
            throw new IllegalArgumentException("row length " + n + " is not a multiple of " + BLOCK);
        }
        if (q.length < n) {
            q = new byte[n];
            d = new float[n / BLOCK];
        }
        this.n = n;
    }

    /** Scalar oracle: x[off..off+n) → q[0..n), d[0..n/32). */
    static void quantizeReference(float[] x, int off, int n, byte[] q, float[] d) {
        for (int b = 0; b < n / BLOCK; b++) {
            float amax = 0;
            for (int i = 0; i < BLOCK; i++) {
                amax = Math.max(amax, Math.abs(x[off + b * BLOCK + i]));
            }
            float s = amax / 127f;
            float id = s != 0 ? 1f / s : 0f;
            d[b] = s;
            for (int i = 0; i < BLOCK; i++) {
                float v = x[off + b * BLOCK + i] * id;
                q[b * BLOCK + i] = (byte) (int) (v + Math.copySign(0.5f, v));
            }
        }
    }

    /** Vector API version of {@link #quantizeReference} (the block maximum): the same float operations per element. */
    static void quantizeVector(float[] x, int off, int n, byte[] q, float[] d) {
        for (int b = 0; b < n / BLOCK; b++) {
            int xo = off + b * BLOCK;
            FloatVector amax = FloatVector.zero(F);
            for (int i = 0; i < BLOCK; i += L) {
                amax = amax.max(FloatVector.fromArray(F, x, xo + i).abs());
            }
            float s = amax.reduceLanes(VectorOperators.MAX) / 127f;
            float id = s != 0 ? 1f / s : 0f;
            d[b] = s;
            // The rounding stays scalar: the Vector API's I2B narrowing is not intrinsified on every
            // JDK (measured: it dominated a 4864-column matmul), and this is O(n) per matmul.
            for (int i = 0; i < BLOCK; i++) {
                float v = x[xo + i] * id;
                q[b * BLOCK + i] = (byte) (int) (v + Math.copySign(0.5f, v));
            }
        }
    }
}
