package dev.smelt.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.model.KvCache;
import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.ContextOverflowException;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.runtime.sampling.Sampler;
import dev.smelt.runtime.sampling.SamplerConfig;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import org.junit.jupiter.api.Test;

class GeneratorTest {
    @Test
    void prefillInSmallBatchesGivesSameGreedyTokensAsOneBatch() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(2)) {
            int[] prompt = {1, 50, 60, 70, 80, 90, 100, 110, 120};
            int[] a = new Generator(m, pool, 128).generate(prompt, m.newCache(64), new Sampler(SamplerConfig.greedy()), 12, t -> false, null).tokens();
            int[] b = new Generator(m, pool, 2).generate(prompt, m.newCache(64), new Sampler(SamplerConfig.greedy()), 12, t -> false, null).tokens();
            assertThat(b).containsExactly(a);
            assertThat(a).hasSize(12);
        }
    }

    @Test
    void sameSeedSameOutputAndStopsOnEndToken() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(2)) {
            Generator g = new Generator(m, pool);
            SamplerConfig c = SamplerConfig.defaults(99);
            int[] prompt = {1, 200, 201};
            int[] x = g.generate(prompt, m.newCache(64), new Sampler(c), 20, t -> false, null).tokens();
            int[] y = g.generate(prompt, m.newCache(64), new Sampler(c), 20, t -> false, null).tokens();
            assertThat(y).containsExactly(x);
            int stopAt = x[3];
            Generator.Result r = g.generate(prompt, m.newCache(64), new Sampler(c), 20, t -> t == stopAt, null);
            assertThat(r.reason()).isEqualTo(Generator.StopReason.END_OF_GENERATION);
            assertThat(r.tokens()[r.tokens().length - 1]).isEqualTo(stopAt);
        }
    }

    @Test
    void contextOverflowIsAClearError() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("llama.gguf")); ThreadPool pool = new ThreadPool(1)) {
            KvCache cache = m.newCache(4);
            assertThatThrownBy(() -> new Generator(m, pool).generate(new int[] {1, 2, 3}, cache, new Sampler(SamplerConfig.greedy()), 5, t -> false, null))
                    .isInstanceOf(ContextOverflowException.class).hasMessageContaining("context exceeded: 5 positions needed but the context holds 4");
        }
    }
}
