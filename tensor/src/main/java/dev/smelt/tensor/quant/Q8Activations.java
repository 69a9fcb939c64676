package dev.smelt.tensor.quant;

import static dev.smelt.tensor.quant.Simd.F;
import static dev.smelt.tensor.quant.Simd.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * One activation row quantized to int8 blocks for the integer kernels: per block (32 values, Q8_0-style,
 * for the legacy formats; 256, Q8_K-style, for the K-quants) a float scale d = max|x|/127 and int8
 * q = round(x/d) (half away from zero, as ggml's roundf), so x ≈ d·q with |error| ≤ d/2. 256-blocks
 * also keep the integer sum of each 16 values ({@link #sums}), which the K-quants' mins multiply.
 * Quantized once per matmul and reused by every weight row.
 *
 * <p>{@link #quantizeReference} is the scalar oracle; {@link #quantize} the Vector API version, which
 * computes the same float operations per element and so gives bit-identical results.
 * Not thread-safe: one instance per calling thread (the buffers are reused between matmuls).
 */
public final class Q8Activations {
    static final int BLOCK = 32;
    /** Block of the K-quants' activations (Q8_K). */
    static final int BLOCK_K = 256;
    /** Values per entry of {@link #sums}. */
    static final int SUM_SPAN = 16;

    /** Values per scale: 32 or 256. */
    final int block;
    /** q[n]: quantized values, block b at [block·b, block·(b+1)). */
    byte[] q = new byte[0];
    /** d[n/block]: block scales. */
    float[] d = new float[0];
    /** sums[n/16]: Σ q over each 16 values (256-blocks only). */
    int[] sums = new int[0];
    int n;

    /** Q8_0-style: one scale per 32 values. */
    public Q8Activations() {
        this(BLOCK);
    }

    /** {@code block} = 32 (Q8_0-style) or 256 (Q8_K-style, with 16-value sums). */
    Q8Activations(int block) {
        if (block != BLOCK && block != BLOCK_K) {
            throw new IllegalArgumentException("activation block " + block + " is neither " + BLOCK + " nor " + BLOCK_K);
        }
        this.block = block;
    }

    /** Quantizes x[off .. off+n), n a multiple of the block, with the fastest available implementation. */
    public void quantize(float[] x, int off, int n) {
        ensure(n);
        if (Simd.supported()) {
            quantizeVector(x, off, n, block, q, d);
        } else {
            quantizeReference(x, off, n, block, q, d);
        }
        if (block == BLOCK_K) {
            blockSums(q, n, sums);
        }
    }

    private void ensure(int n) {
        if (n % block != 0) {
            throw new IllegalArgumentException("row length " + n + " is not a multiple of " + block);
        }
        if (q.length < n) {
            q = new byte[n];
            d = new float[n / block];
            sums = new int[n / SUM_SPAN];
        }
        this.n = n;
    }

    /** sums[i] = Σ q[16i .. 16i+16). */
    static void blockSums(byte[] q, int n, int[] sums) {
        for (int i = 0; i < n / SUM_SPAN; i++) {
            int s = 0;
            for (int j = 0; j < SUM_SPAN; j++) {
                s += q[i * SUM_SPAN + j];
            }
            sums[i] = s;
        }
    }

    /** Scalar oracle with 32-value blocks. */
    static void quantizeReference(float[] x, int off, int n, byte[] q, float[] d) {
        quantizeReference(x, off, n, BLOCK, q, d);
    }

    /** Vector version with 32-value blocks. */
    static void quantizeVector(float[] x, int off, int n, byte[] q, float[] d) {
        quantizeVector(x, off, n, BLOCK, q, d);
    }

    /** Scalar oracle: x[off..off+n) → q[0..n), d[0..n/block). */
    static void quantizeReference(float[] x, int off, int n, int block, byte[] q, float[] d) {
        for (int b = 0; b < n / block; b++) {
            float amax = 0;
            for (int i = 0; i < block; i++) {
                amax = Math.max(amax, Math.abs(x[off + b * block + i]));
            }
            float s = amax / 127f;
            float id = s != 0 ? 1f / s : 0f;
            d[b] = s;
            for (int i = 0; i < block; i++) {
                float v = x[off + b * block + i] * id;
                q[b * block + i] = (byte) (int) (v + Math.copySign(0.5f, v));
            }
        }
    }

    /** Vector API version of {@link #quantizeReference} (the block maximum): the same float operations per element. */
    static void quantizeVector(float[] x, int off, int n, int block, byte[] q, float[] d) {
        for (int b = 0; b < n / block; b++) {
            int xo = off + b * block;
            FloatVector amax = FloatVector.zero(F);
            for (int i = 0; i < block; i += L) {
                amax = amax.max(FloatVector.fromArray(F, x, xo + i).abs());
            }
            float s = amax.reduceLanes(VectorOperators.MAX) / 127f;
            float id = s != 0 ? 1f / s : 0f;
            d[b] = s;
            // The rounding stays scalar: the Vector API's I2B narrowing is not intrinsified on every
            // JDK (measured: it dominated a 4864-column matmul), and this is O(n) per matmul.
            for (int i = 0; i < block; i++) {
                float v = x[xo + i] * id;
                q[b * block + i] = (byte) (int) (v + Math.copySign(0.5f, v));
            }
        }
    }
}
