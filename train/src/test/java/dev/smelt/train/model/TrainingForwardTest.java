package dev.smelt.train.model;

import dev.smelt.model.KvCache;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.arch.Models;
import dev.smelt.model.lora.LoraAdapter;
import dev.smelt.model.lora.LoraApplier;
import dev.smelt.model.safetensors.SafetensorsFile;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import dev.smelt.testkit.Tolerances;
import dev.smelt.train.data.PackedBatch;
import dev.smelt.train.data.TokenizedExample;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The trainer runs each architecture's own block definition: its forward (taped ops, frozen-weight
 * panels, LoRA) gives the logits of inference. Checked on every shared reference model, against the
 * PyTorch golden and, with a random LoRA on every module (phi3: row slices of its fused projections),
 * against the inference engine with the same adapter applied.
 */
class TrainingForwardTest {
    /**
     * As model's ForwardGoldenTest: max |ours − ref| per row within 2e-5 of the row's max |logit|
     * (float32, different summation orders: the trainer's panels vs inference's kernels vs PyTorch).
     */
    static final double REL_TO_ROW_MAX = 2e-5;

    private static final ThreadPool POOL = new ThreadPool(2);

    @AfterAll
    static void close() {
        POOL.close();
    }

    /** The golden's 40 tokens as one training sequence (longer than gemma3's sliding window of 8). */
    private static PackedBatch goldenBatch(int[] tokens) {
        boolean[] target = new boolean[tokens.length];
        Arrays.fill(target, 1, tokens.length, true);
        return PackedBatch.pack(List.of(new TokenizedExample(tokens, target, "golden")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3", "phi3", "gemma3"})
    void trainingForwardMatchesTheFloatReference(String name) throws Exception {
        try (SafetensorsFile g = SafetensorsFile.open(SharedData.golden(name + ".golden.safetensors"));
             LoraModel m = LoraModel.open(SharedData.model(name + ".gguf"))) {
            int[] tokens = g.ints("tokens");
            float[] ref = g.floats("logits_float_ref");
            float[] got = m.logits(POOL, goldenBatch(tokens));
            assertRowsClose(name + " training forward vs PyTorch", ref, got, m.config().vocab());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3", "phi3", "gemma3", "llama-Q4_K_M"})
    void trainingForwardWithLoraMatchesInferenceWithTheSameAdapter(String name) throws Exception {
        int[] tokens;
        try (SafetensorsFile g = SafetensorsFile.open(SharedData.golden(name + ".golden.safetensors"))) {
            tokens = g.ints("tokens");
        }
        try (LoraModel train = LoraModel.open(SharedData.model(name + ".gguf"));
             DecoderModel infer = Models.load(SharedData.model(name + ".gguf"))) {
            LoraAdapter ad = train.newAdapter(4, 8f, false, LoraModel.ALL_MODULES, new SplittableRandom(11));
            SplittableRandom r = new SplittableRandom(12);
            for (LoraAdapter.Pair p : ad.pairs().values()) {
                for (int i = 0; i < p.b().length; i++) {
                    p.b()[i] = (float) (r.nextDouble() - 0.5) * 0.1f;
                }
            }
            int adapted = LoraApplier.apply(infer, ad, 1f);
            org.assertj.core.api.Assertions.assertThat(adapted).as("projections adapted").isEqualTo(infer.projections().size());
            KvCache cache = infer.newCache(tokens.length);
            float[] expected = infer.forward(POOL, tokens, tokens.length, cache, true);
            float[] got = train.logits(POOL, goldenBatch(tokens));
            assertRowsClose(name + " training vs inference forward with LoRA", expected, got, train.config().vocab());
        }
    }

    /** Packed examples attend only to themselves, also through gemma3's sliding window: each equals its own run. */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "phi3", "gemma3"})
    void packedExamplesEqualSeparateRuns(String name) throws Exception {
        try (SafetensorsFile g = SafetensorsFile.open(SharedData.golden(name + ".golden.safetensors"));
             LoraModel m = LoraModel.open(SharedData.model(name + ".gguf"))) {
            int[] tokens = g.ints("tokens");
            int[] a = Arrays.copyOfRange(tokens, 0, 13);
            int[] b = Arrays.copyOfRange(tokens, 13, 40);
            int vocab = m.config().vocab();
            float[] packed = m.logits(POOL, PackedBatch.pack(List.of(example(a), example(b))));
            assertRowsClose(name + " packed first example", m.logits(POOL, goldenBatch(a)), Arrays.copyOf(packed, a.length * vocab), vocab);
            assertRowsClose(name + " packed second example", m.logits(POOL, goldenBatch(b)),
                    Arrays.copyOfRange(packed, a.length * vocab, packed.length), vocab);
        }
    }

    private static TokenizedExample example(int[] tokens) {
        boolean[] target = new boolean[tokens.length];
        Arrays.fill(target, 1, tokens.length, true);
        return new TokenizedExample(tokens, target, "part");
    }

    private static void assertRowsClose(String what, float[] expected, float[] actual, int vocab) {
        org.assertj.core.api.Assertions.assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length / vocab; i++) {
            float[] e = Arrays.copyOfRange(expected, i * vocab, (i + 1) * vocab);
            float[] a = Arrays.copyOfRange(actual, i * vocab, (i + 1) * vocab);
            Tolerances.assertClose(what + " row " + i, e, a, REL_TO_ROW_MAX * Tolerances.maxAbs(e), 0);
        }
    }
}
