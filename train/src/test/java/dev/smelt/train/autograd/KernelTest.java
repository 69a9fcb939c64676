package dev.smelt.train.autograd;

import dev.smelt.model.WeightMatrix;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import dev.smelt.testkit.Tolerances;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Vector kernels of the trainer against their scalar references, at odd sizes that hit every tail. */
class KernelTest {
    /** Float32 sums of ≤ 512 terms in different orders: a few ulp of the magnitude. */
    static final double REL = 1e-4;
    static final double ABS = 1e-4;

    private static ThreadPool pool;
    private final Random rnd = new Random(7);

    @BeforeAll
    static void start() {
        pool = new ThreadPool(2);
    }

    @AfterAll
    static void stop() {
        pool.close();
    }

    private float[] randn(int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = (float) rnd.nextGaussian();
        }
        return d;
    }

    @Test
    void denseProductsMatchReference() {
        for (int[] s : new int[][] {{1, 1, 1}, {5, 17, 3}, {7, 33, 19}, {13, 64, 16}, {3, 100, 47}}) {
            int m = s[0], k = s[1], n = s[2];
            float[] a = randn(m * k), b = randn(n * k), c = new float[m * n], ref = new float[m * n];
            Dense.abT(pool, a, m, k, b, n, c);
            Dense.abTReference(a, m, k, b, n, ref);
            Tolerances.assertClose("abT " + m + "x" + k + "x" + n, ref, c, ABS, REL);
            float[] b2 = randn(k * n), c2 = randn(m * n), ref2 = c2.clone();
            Dense.accAB(pool, a, m, k, b2, n, c2);
            Dense.accABReference(a, m, k, b2, n, ref2);
            Tolerances.assertClose("accAB " + m + "x" + k + "x" + n, ref2, c2, ABS, REL);
            float[] at = randn(k * m), c3 = randn(m * n), ref3 = c3.clone();
            Dense.accATB(pool, at, k, m, b2, n, c3);
            Dense.accATBReference(at, k, m, b2, n, ref3);
            Tolerances.assertClose("accATB " + m + "x" + k + "x" + n, ref3, c3, ABS, REL);
        }
    }

    @Test
    void transposedMatmulF32OddShapes() {
        for (int[] s : new int[][] {{1, 1, 1}, {5, 37, 53}, {7, 64, 300}, {4, 130, 257}, {2, 3, 700}}) {
            int n = s[0], cols = s[1], rows = s[2];
            WeightMatrix w = GradCheckTest.f32Matrix("w", randn(rows * cols), rows, cols);
            float[] dy = randn(n * rows);
            float[] dx = randn(n * cols);
            float[] ref = dx.clone();
            FrozenMatmul.backward(pool, w, dy, n, dx);
            FrozenMatmul.reference(w, dy, n, ref);
            Tolerances.assertClose("dx F32 " + n + "x" + rows + "x" + cols, ref, dx, ABS * Math.sqrt(rows), REL);
            checkForward(w, n);
        }
    }

    private void checkForward(WeightMatrix w, int n) {
        float[] x = randn(n * w.cols());
        float[] y = randn(n * w.rows()); // overwritten
        float[] ref = new float[n * w.rows()];
        FrozenMatmul.forward(pool, w, x, n, y);
        FrozenMatmul.forwardReference(w, x, n, ref);
        Tolerances.assertClose("y " + w.format().type() + " " + w.rows() + "x" + w.cols(), ref, y, ABS * Math.sqrt(w.cols()), REL);
    }

    /** Quantized weights from the reference models (blocks of 32 and 256, every type they contain). */
    @Test
    void transposedMatmulQuantized() throws Exception {
        Set<String> seen = new HashSet<>();
        for (String file : new String[] {"llama-Q8_0.gguf", "llama-Q4_K_M.gguf", "llama-Q4_0.gguf", "llama-F16.gguf", "llama-BF16.gguf", "llama-Q6_K.gguf"}) {
            try (GgufFile f = GgufFile.open(SharedData.model(file))) {
                for (GgufTensorInfo t : f.tensors()) {
                    if (t.dims().length != 2 || !seen.add(t.type().name())) {
                        continue;
                    }
                    WeightMatrix w = WeightMatrix.of(f, t);
                    int n = 5;
                    float[] dy = randn(n * w.rows());
                    float[] dx = new float[n * w.cols()];
                    float[] ref = new float[n * w.cols()];
                    FrozenMatmul.backward(pool, w, dy, n, dx);
                    FrozenMatmul.reference(w, dy, n, ref);
                    Tolerances.assertClose("dx " + t.type() + " " + t.name(), ref, dx, ABS * Math.sqrt(w.rows()), REL);
                    checkForward(w, n);
                }
            }
        }
        org.assertj.core.api.Assertions.assertThat(seen).contains("Q8_0", "Q4_K", "Q6_K", "Q4_0", "F16", "BF16");
    }
}
