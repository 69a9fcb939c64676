package dev.smelt.compress.quant;

/**
 * Pieces the 32-element legacy formats (Q4_0, Q4_1, Q5_0, Q5_1) share, each as ggml writes it: the row's
 * importance weights, the block statistics their reference scales come from, and the nibble / fifth-bit
 * packing of levels. Layouts are documented on each quantizer class. Thread-safety: stateless.
 */
final class Block32 {
    /** Elements per block. */
    static final int SIZE = 32;

    private Block32() {
    }

    /** σ² of ggml's importance weights: the mean of x² over the whole row x[xo..xo+n). */
    static float sigma2(float[] x, int xo, int n) {
        float sumX2 = 0;
        for (int j = 0; j < n; ++j) {
            sumX2 += x[xo + j] * x[xo + j];
        }
        return sumX2 / n;
    }

    /** weight[j] = qw[32·ib + j]·sqrt(σ² + x[xb + j]²) for block {@code ib} of the row, which starts at {@code xb}. */
    static void weights(float[] qw, int ib, float[] x, int xb, float sigma2, float[] weight) {
        for (int j = 0; j < SIZE; ++j) {
            weight[j] = qw[SIZE * ib + j] * (float) Math.sqrt(sigma2 + x[xb + j] * x[xb + j]);
        }
    }

    /** The smallest of x[xb..xb+32) as ggml compares (NaN skipped, the first of equal zeros kept), not Math.min. */
    static float min(float[] x, int xb) {
        float min = Float.MAX_VALUE;
        for (int j = 0; j < SIZE; j++) {
            if (x[xb + j] < min) {
                min = x[xb + j];
            }
        }
        return min;
    }

    /** The largest of x[xb..xb+32), compared as {@link #min} does. */
    static float max(float[] x, int xb) {
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < SIZE; j++) {
            if (x[xb + j] > max) {
                max = x[xb + j];
            }
        }
        return max;
    }

    /** 4-bit levels L[0..32) into 16 bytes at y[qs..]: element j in the low nibble, element j+16 in the high one. */
    static void putNibbles(byte[] L, byte[] y, int qs) {
        for (int j = 0; j < 16; ++j) {
            y[qs + j] = (byte) (L[j] | (L[j + 16] << 4));
        }
    }

    /** 5-bit levels q[0..32): low 4 bits as {@link #putNibbles} at y[qs..], bit 4 of element j as bit j of the u32 LE at y[qh..]. */
    static void put5(int[] q, byte[] y, int qh, int qs) {
        int high = 0;
        for (int j = 0; j < 16; ++j) {
            int xi0 = q[j] & 0xFF;
            int xi1 = q[j + 16] & 0xFF;
            y[qs + j] = (byte) ((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
            high |= ((xi0 & 0x10) >>> 4) << j;
            high |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        QuantMath.putInt(y, qh, high);
    }

    /** Receives one block's scale d, offset m and levels L[0..32) (x ≈ d·L + m). */
    @FunctionalInterface
    interface MinBlock {
        void write(int ib, float d, float m, byte[] L);
    }

    /**
     * The importance path Q4_1 and Q5_1 share ({@code quantize_row_q4_1_impl}, {@code quantize_row_q5_1_impl}):
     * per block, levels in [0, nmax] by {@code make_qkx3_quants(32, nmax, …, −0.9, 0.05, 36)} with weights
     * qw[j]·sqrt(σ² + x[j]²), handed to {@code out} with d and m = −min.
     */
    static void importanceMinBlocks(float[] x, int xo, int n, float[] qw, int nmax, MinBlock out) {
        float sigma2 = sigma2(x, xo, n);
        float[] weight = new float[SIZE];
        byte[] L = new byte[SIZE];
        float[] min = new float[1];
        for (int ib = 0; ib < n / SIZE; ++ib) {
            int xb = xo + SIZE * ib;
            weights(qw, ib, x, xb, sigma2, weight);
            float d = QuantMath.makeQkx3Quants(SIZE, nmax, x, xb, weight, 0, L, 0, min, 0, -0.9f, 0.05f, 36, false);
            out.write(ib, d, -min[0], L);
        }
    }
}
