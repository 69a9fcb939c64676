package dev.smelt.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dense F32 micro-kernel for prompt processing: out[b, r0 + r] = Σ_c tile[r, c] · x[b, c] for a tile
 * of dequantized weight rows, register-blocked 4 rows × 3 activation rows (12 vector accumulators) so
 * each loaded vector feeds several FMAs. {@link #reference} is the scalar oracle. Stateless, thread-safe.
 *
 * <p>Why this is not {@link PanelKernel} (the one panel kernel of the encoder and the trainer): weights
 * arrive here quantized and row-major, and a dot-product tile consumes the rows exactly as {@code
 * dequantize} writes them. A panel kernel needs them transposed into column panels first; measured on
 * the same machine in the same minutes (KernelThroughput, one thread, 4096×4096, batch 32, loaded
 * 2-core host), dequantizing 64-row × 512-column panels for PanelKernel gave F32 31–32 vs 38–42 GFLOP/s
 * here, Q4_K 39–40 vs 53–56, Q6_K 36 vs 48–52, Q8_0 65–75 vs 67–72: the transpose costs more than the
 * horizontal sums it saves, so the inference prompt path keeps this kernel.
 */
public final class Gemm {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    private Gemm() {
    }

    /**
     * @param tile  [tileRows, cols] dequantized weights
     * @param x     [batch, cols] activations
     * @param out   [batch, outStride]; this writes columns r0 .. r0 + tileRows
     */
    public static void tile(float[] tile, int tileRows, int cols, float[] x, int batch, float[] out, int outStride, int r0) {
        int upper = F.loopBound(cols);
        int r = 0;
        for (; r + 4 <= tileRows; r += 4) {
            int b = 0;
            for (; b + 3 <= batch; b += 3) {
                block4x3(tile, r, cols, upper, x, b, out, outStride, r0);
            }
            for (; b < batch; b++) {
                for (int i = 0; i < 4; i++) {
                    out[b * outStride + r0 + r + i] = dot(tile, (r + i) * cols, x, b * cols, cols, upper);
                }
            }
        }
        for (; r < tileRows; r++) {
            for (int b = 0; b < batch; b++) {
                out[b * outStride + r0 + r] = dot(tile, r * cols, x, b * cols, cols, upper);
            }
        }
    }

    private static void block4x3(float[] t, int r, int cols, int upper, float[] x, int b, float[] out, int stride, int r0) {
        int w0 = r * cols;
        int w1 = w0 + cols;
        int w2 = w1 + cols;
        int w3 = w2 + cols;
        int x0 = b * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F), a31 = FloatVector.zero(F), a32 = FloatVector.zero(F);
        for (int c = 0; c < upper; c += L) {
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + c);
            FloatVector v1 = FloatVector.fromArray(F, x, x1 + c);
            FloatVector v2 = FloatVector.fromArray(F, x, x2 + c);
            FloatVector w = FloatVector.fromArray(F, t, w0 + c);
            a00 = w.fma(v0, a00);
            a01 = w.fma(v1, a01);
            a02 = w.fma(v2, a02);
            w = FloatVector.fromArray(F, t, w1 + c);
            a10 = w.fma(v0, a10);
            a11 = w.fma(v1, a11);
            a12 = w.fma(v2, a12);
            w = FloatVector.fromArray(F, t, w2 + c);
            a20 = w.fma(v0, a20);
            a21 = w.fma(v1, a21);
            a22 = w.fma(v2, a22);
            w = FloatVector.fromArray(F, t, w3 + c);
            a30 = w.fma(v0, a30);
            a31 = w.fma(v1, a31);
            a32 = w.fma(v2, a32);
        }
        int o0 = b * stride + r0 + r;
        int o1 = o0 + stride;
        int o2 = o1 + stride;
        out[o0] = a00.reduceLanes(VectorOperators.ADD) + tail(t, w0, x, x0, upper, cols);
        out[o1] = a01.reduceLanes(VectorOperators.ADD) + tail(t, w0, x, x1, upper, cols);
        out[o2] = a02.reduceLanes(VectorOperators.ADD) + tail(t, w0, x, x2, upper, cols);
        out[o0 + 1] = a10.reduceLanes(VectorOperators.ADD) + tail(t, w1, x, x0, upper, cols);
        out[o1 + 1] = a11.reduceLanes(VectorOperators.ADD) + tail(t, w1, x, x1, upper, cols);
        out[o2 + 1] = a12.reduceLanes(VectorOperators.ADD) + tail(t, w1, x, x2, upper, cols);
        out[o0 + 2] = a20.reduceLanes(VectorOperators.ADD) + tail(t, w2, x, x0, upper, cols);
        out[o1 + 2] = a21.reduceLanes(VectorOperators.ADD) + tail(t, w2, x, x1, upper, cols);
        out[o2 + 2] = a22.reduceLanes(VectorOperators.ADD) + tail(t, w2, x, x2, upper, cols);
        out[o0 + 3] = a30.reduceLanes(VectorOperators.ADD) + tail(t, w3, x, x0, upper, cols);
        out[o1 + 3] = a31.reduceLanes(VectorOperators.ADD) + tail(t, w3, x, x1, upper, cols);
        out[o2 + 3] = a32.reduceLanes(VectorOperators.ADD) + tail(t, w3, x, x2, upper, cols);
    }

    private static float dot(float[] a, int ao, float[] b, int bo, int n, int upper) {
        FloatVector acc = FloatVector.zero(F);
        for (int c = 0; c < upper; c += L) {
            acc = FloatVector.fromArray(F, a, ao + c).fma(FloatVector.fromArray(F, b, bo + c), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD) + tail(a, ao, b, bo, upper, n);
    }

    private static float tail(float[] a, int ao, float[] b, int bo, int from, int n) {
        float s = 0;
        for (int c = from; c < n; c++) {
            s += a[ao + c] * b[bo + c];
        }
        return s;
    }

    /** Scalar oracle of {@link #tile}. */
    public static void reference(float[] tile, int tileRows, int cols, float[] x, int batch, float[] out, int outStride, int r0) {
        for (int r = 0; r < tileRows; r++) {
            for (int b = 0; b < batch; b++) {
                float s = 0;
                for (int c = 0; c < cols; c++) {
                    s += tile[r * cols + c] * x[b * cols + c];
                }
                out[b * outStride + r0 + r] = s;
            }
        }
    }
}
