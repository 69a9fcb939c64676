package dev.smelt.model.arch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.KvCache;
import dev.smelt.model.Models;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import dev.smelt.testkit.Tolerances;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Logits of every reference model against the goldens. smelt computes in float32 over exactly
 * dequantized weights, so it is checked against {@code logits_float_ref} (PyTorch over the same
 * dequantized weights, float32 activations): shared/README says such an engine matches to ~1e-4
 * relative. The tolerance is relative to the row's max |logit|.
 */
class ForwardGoldenTest {
    /** Max |ours − ref| / max|ref logit| per row: observed ~1e-6 (float32 summation order); margin for vector kernels. */
    static final double REL_TO_ROW_MAX = 2e-5;

    private static final ThreadPool POOL = new ThreadPool(2);

    @AfterAll
    static void close() {
        POOL.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3", "phi3", "gemma3", "shakespeare"})
    void f32ModelsMatchFloatReference(String name) throws Exception {
        checkModel(name + ".gguf", name + ".golden.safetensors");
    }

    static void checkModel(String modelFile, String goldenFile) throws Exception {
        Golden g = Golden.read(SharedData.golden(goldenFile));
        try (DecoderModel m = Models.load(SharedData.model(modelFile))) {
            int n = g.tokens().length;
            // Prompt in one batch for the first 24 tokens, then token by token: exercises both paths.
            KvCache cache = m.newCache(64);
            float[] batch = m.forward(POOL, g.tokens(), 24, cache, true);
            float[] all = Arrays.copyOf(batch, n * g.vocab());
            for (int i = 24; i < n; i++) {
                float[] row = m.forward(POOL, new int[] {g.tokens()[i]}, 1, cache, false);
                System.arraycopy(row, 0, all, i * g.vocab(), g.vocab());
            }
            for (int i = 0; i < n; i++) {
                float[] ref = Arrays.copyOfRange(g.logitsFloatRef(), i * g.vocab(), (i + 1) * g.vocab());
                float[] got = Arrays.copyOfRange(all, i * g.vocab(), (i + 1) * g.vocab());
                double tol = REL_TO_ROW_MAX * Tolerances.maxAbs(ref);
                Tolerances.assertClose(modelFile + " row " + i, ref, got, tol, 0);
            }
            // Greedy continuation: llama.cpp's tokens[24..40) are argmax of the previous row.
            for (int i = 23; i < n - 1; i++) {
                assertThat(argmax(all, i * g.vocab(), g.vocab())).as("greedy token after position %d", i).isEqualTo(g.tokens()[i + 1]);
            }
        }
    }

    static int argmax(float[] x, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (x[off + i] > x[off + best]) {
                best = i;
            }
        }
        return best;
    }
}
