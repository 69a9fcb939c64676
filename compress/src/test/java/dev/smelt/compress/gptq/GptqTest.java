package dev.smelt.compress.gptq;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.compress.quant.Quantizers;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** GPTQ on a random layer with correlated inputs: lower output error than rounding, and the oracle agrees. */
class GptqTest {
    static final int ROWS = 16;
    static final int COLS = 256;
    static final int TOKENS = 512;
    /** Nearest rounding: within half a step, plus float slack for (x − c)/a at exact halves. */
    static final float HALF_STEP = 0.5f + 1e-5f;

    /** [TOKENS, COLS] inputs whose columns are correlated (mixed from fewer sources) and of uneven scale. */
    static float[] inputs(long seed, int tokens, int cols) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int sources = cols / 4;
        float[] mix = new float[sources * cols];
        for (int i = 0; i < mix.length; i++) {
            mix[i] = (float) rnd.nextGaussian();
        }
        float[] colScale = new float[cols];
        for (int j = 0; j < cols; j++) {
            colScale[j] = (float) Math.exp(rnd.nextGaussian());
        }
        float[] x = new float[tokens * cols];
        float[] z = new float[sources];
        for (int t = 0; t < tokens; t++) {
            for (int s = 0; s < sources; s++) {
                z[s] = (float) rnd.nextGaussian();
            }
            for (int j = 0; j < cols; j++) {
                float v = 0.3f * (float) rnd.nextGaussian();
                for (int s = 0; s < sources; s++) {
                    v += z[s] * mix[s * cols + j] / sources;
                }
                x[t * cols + j] = v * colScale[j];
            }
        }
        return x;
    }

    static double[] hessian(float[] x, int tokens, int cols) {
        double[] h = new double[cols * cols];
        for (int t = 0; t < tokens; t++) {
            for (int a = 0; a < cols; a++) {
                double xa = x[t * cols + a];
                for (int b = 0; b < cols; b++) {
                    h[a * cols + b] += xa * x[t * cols + b];
                }
            }
        }
        return h;
    }

    static float[] weights(long seed, int rows, int cols) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (rnd.nextGaussian() * 0.05);
        }
        return w;
    }

    static float[] importance(double[] h, int cols, int tokens) {
        float[] imp = new float[cols];
        for (int j = 0; j < cols; j++) {
            imp[j] = (float) (h[j * cols + j] / tokens);
        }
        return imp;
    }

    @Test
    void gptqBeatsRoundingForEveryType() {
        float[] x = inputs(1, TOKENS, COLS);
        double[] h = hessian(x, TOKENS, COLS);
        float[] w = weights(2, ROWS, COLS);
        float[] imp = importance(h, COLS, TOKENS);
        try (ThreadPool pool = new ThreadPool(2)) {
            for (GgmlType t : BlockGridTest.TYPES) {
                for (boolean actOrder : new boolean[] {false, true}) {
                    byte[] rtn = Quantizers.quantizeMatrix(t, w, ROWS, COLS, imp, pool);
                    byte[] g = Gptq.quantize(t, w, ROWS, COLS, h, imp, new Gptq.Options(Gptq.DEFAULT_DAMP, actOrder), pool);
                    double er = Gptq.outputError(w, Awq.dequantize(t, rtn, ROWS, COLS), ROWS, COLS, Gptq.toFloat(h), pool);
                    double eg = Gptq.outputError(w, Awq.dequantize(t, g, ROWS, COLS), ROWS, COLS, Gptq.toFloat(h), pool);
                    assertThat(eg).as("%s act-order %s: ‖(W−Ŵ)X‖² gptq %s vs rtn %s", t, actOrder, eg, er).isLessThan(er);
                }
            }
        }
    }

    /** The tiled, pooled path and the one-row-at-a-time oracle give the same bytes (odd row count: a partial tile). */
    @Test
    void fastPathEqualsReference() {
        int rows = Gptq.TILE + 5;
        int cols = 256;
        float[] x = inputs(3, 300, cols);
        double[] h = hessian(x, 300, cols);
        float[] w = weights(4, rows, cols);
        float[] imp = importance(h, cols, 300);
        try (ThreadPool pool = new ThreadPool(2)) {
            for (GgmlType t : new GgmlType[] {GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q3_K, GgmlType.IQ4_XS}) {
                for (boolean actOrder : new boolean[] {false, true}) {
                    Gptq.Options o = new Gptq.Options(Gptq.DEFAULT_DAMP, actOrder);
                    byte[] fast = Gptq.quantize(t, w, rows, cols, h, imp, o, pool);
                    byte[] ref = Gptq.quantizeReference(t, w, rows, cols, h, imp, o);
                    int diff = java.util.Arrays.mismatch(fast, ref);
                    assertThat(diff).as("%s act-order %s: first differing byte %d", t, actOrder, diff).isEqualTo(-1);
                }
            }
        }
    }

    /** With a diagonal Hessian there is no cross-column error to feed back: GPTQ is plain nearest rounding on RTN's scales. */
    @Test
    void diagonalHessianDoesNotMoveLaterColumns() {
        int cols = 64;
        double[] h = new double[cols * cols];
        for (int j = 0; j < cols; j++) {
            h[j * cols + j] = 1 + j;
        }
        float[] w = weights(5, 3, cols);
        byte[] g = Gptq.quantize(GgmlType.Q8_0, w, 3, cols, h, null, Gptq.Options.DEFAULT, null);
        float[] deq = Awq.dequantize(GgmlType.Q8_0, g, 3, cols);
        for (int i = 0; i < deq.length; i++) {
            int blockStart = (i / 32) * 34;
            float d = Float.float16ToFloat((short) ((g[blockStart] & 0xFF) | (g[blockStart + 1] << 8)));
            assertThat(Math.abs(w[i] - deq[i])).as("element %d: w %s, ŵ %s, step %s", i, w[i], deq[i], d)
                    .isLessThanOrEqualTo(d * HALF_STEP);
        }
    }

    @Test
    void rejectsUnsupportedTypeAndBadShapes() {
        double[] h = new double[32 * 32];
        float[] w = new float[32];
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Gptq.quantize(GgmlType.F16, w, 1, 32, h, null, Gptq.Options.DEFAULT, null))
                .hasMessageContaining("F16");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Gptq.quantize(GgmlType.Q4_K, w, 1, 32, h, null, Gptq.Options.DEFAULT, null))
                .hasMessageContaining("multiple of 256");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Gptq.quantize(GgmlType.Q4_0, w, 1, 32, new double[5], null, Gptq.Options.DEFAULT, null))
                .hasMessageContaining("hessian");
    }
}
