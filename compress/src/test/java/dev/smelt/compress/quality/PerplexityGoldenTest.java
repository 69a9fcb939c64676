package dev.smelt.compress.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** smelt perplexity / kld against llama.cpp's llama-perplexity on the trained reference model. */
class PerplexityGoldenTest {
    /** Issue 7 asks for 0.05%: our float32 forward differs from llama.cpp's by ~1e-6 relative in logits. */
    static final double PPL_REL = 5e-4;
    static final int VALIDATION_START = 1_003_854;

    static int[] validationTokens(Tokenizer t) throws Exception {
        byte[] all = Files.readAllBytes(SharedData.require("data/tinyshakespeare/input.txt"));
        String text = new String(Arrays.copyOfRange(all, VALIDATION_START, all.length), StandardCharsets.UTF_8);
        return t.encode(text, true, false); // llama-perplexity tokenizes with add_special = true
    }

    @Test
    void perplexityMatchesLlamaCpp() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(2)) {
            Tokenizer t = Tokenizers.fromGguf(m.file());
            Perplexity.Result r = Perplexity.compute(m, pool, validationTokens(t), 256, t.bos());
            assertThat(r.ppl()).isCloseTo(9.2931, org.assertj.core.data.Percentage.withPercentage(PPL_REL * 100));
        }
    }

    @Test
    void perplexityOnTheFirstChunksIsFiniteAndOrdered() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(2)) {
            Tokenizer t = Tokenizers.fromGguf(m.file());
            int[] tokens = Arrays.copyOf(validationTokens(t), 256 * 8);
            Perplexity.Result r = Perplexity.compute(m, pool, tokens, 256, t.bos());
            assertThat(r.chunks()).isEqualTo(8);
            assertThat(r.scored()).isEqualTo(8 * 127);
            assertThat(r.ppl()).isBetween(5.0, 15.0);
        }
    }
}
