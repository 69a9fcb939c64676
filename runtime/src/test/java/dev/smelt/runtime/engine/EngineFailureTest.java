package dev.smelt.runtime.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.model.arch.ContextOverflowException;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.arch.Models;
import dev.smelt.runtime.Generator;
import dev.smelt.runtime.constrain.TokenConstraint;
import dev.smelt.runtime.sampling.Sampler;
import dev.smelt.runtime.sampling.SamplerConfig;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The engine thread survives whatever one request does (issue 12): sizes that overflow int, a constraint or listener
 * that throws, and a wedged step is visible to a watchdog through an injected clock.
 */
class EngineFailureTest {
    private static final long WAIT_S = 60;
    private static final int[] PROMPT = {1, 40, 41, 42};

    private static GenerationRequest greedy(int[] prompt, int max) {
        return new GenerationRequest(prompt, SamplerConfig.greedy(), max, t -> false, null);
    }

    private static int[] expected(DecoderModel m, ThreadPool pool, int[] prompt, int n) {
        return new Generator(m, pool).generate(prompt, m.newCache(128), new Sampler(SamplerConfig.greedy()), n, t -> false, null).tokens();
    }

    @Test
    void maxTokensOfIntMaxIsAContextErrorNotAnOverflow() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(1);
             BatchEngine engine = new BatchEngine(m, pool, 1, 64, 2, 64)) {
            // prompt.length + Integer.MAX_VALUE wrapped negative: the check passed and the engine thread died in start()
            assertThatThrownBy(() -> engine.submit(greedy(PROMPT, Integer.MAX_VALUE))).isInstanceOf(ContextOverflowException.class)
                    .hasMessageContaining("but the context holds 64");
            assertThat(engine.submit(greedy(PROMPT, 3)).result().get(WAIT_S, TimeUnit.SECONDS).tokens()).hasSize(3);
        }
    }

    @Test
    void generatorBoundsItsArraysByTheContextNotByMaxTokens() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(1)) {
            var cache = m.newCache(16);
            // before: Arrays.copyOf(prompt, prompt.length + Integer.MAX_VALUE) → NegativeArraySizeException
            assertThatThrownBy(() -> new Generator(m, pool).generate(PROMPT, cache, new Sampler(SamplerConfig.greedy()), Integer.MAX_VALUE,
                    t -> false, null)).isInstanceOf(ContextOverflowException.class);
            Generator.Result r = new Generator(m, pool).generate(PROMPT, m.newCache(16), new Sampler(SamplerConfig.greedy()), 12, t -> false, null);
            assertThat(r.tokens()).as("exactly the room left fills without overflow").hasSize(12);
        }
    }

    @Test
    void aThrowingConstraintFailsItsRequestOnlyAndTheEngineGoesOn() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(2);
             BatchEngine engine = new BatchEngine(m, pool, 2, 128, 8, 64)) {
            TokenConstraint broken = new TokenConstraint() {
                @Override
                public boolean allows(int token) {
                    throw new NullPointerException("injected");
                }

                @Override
                public void accept(int token) {
                }

                @Override
                public boolean complete() {
                    return false;
                }
            };
            RequestHandle bad = engine.submit(new GenerationRequest(PROMPT, SamplerConfig.greedy(), 5, t -> false, null, broken, 2));
            RequestHandle good = engine.submit(greedy(new int[] {1, 50, 51}, 6));
            assertThatThrownBy(() -> bad.result().get(WAIT_S, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(NullPointerException.class).hasMessageContaining("injected");
            assertThat(good.result().get(WAIT_S, TimeUnit.SECONDS).tokens()).containsExactly(expected(m, pool, new int[] {1, 50, 51}, 6));
            assertThat(engine.submit(greedy(PROMPT, 4)).result().get(WAIT_S, TimeUnit.SECONDS).tokens())
                    .containsExactly(expected(m, pool, PROMPT, 4));
            assertThat(engine.stats().failedRequests.get()).isEqualTo(1);
            assertThat(engine.activeRequests()).isZero();
            assertThat(engine.alive()).isTrue();
        }
    }

    @Test
    void anErrorThrownByAListenerFailsItsRequestOnly() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(1);
             BatchEngine engine = new BatchEngine(m, pool, 1, 128, 8, 64)) {
            RequestHandle bad = engine.submit(new GenerationRequest(PROMPT, SamplerConfig.greedy(), 5, t -> false, (t, l) -> {
                throw new AssertionError("an Error, not an Exception");
            }));
            assertThatThrownBy(() -> bad.result().get(WAIT_S, TimeUnit.SECONDS)).hasCauseInstanceOf(AssertionError.class);
            assertThat(engine.submit(greedy(PROMPT, 3)).result().get(WAIT_S, TimeUnit.SECONDS).tokens()).hasSize(3);
            assertThat(engine.alive()).isTrue();
        }
    }

    @Test
    void aWedgedStepShowsAsStalledOnTheInjectedClockAndAClosedEngineAsNotAlive() throws Exception {
        AtomicLong now = new AtomicLong(1_000);
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(1)) {
            BatchEngine engine = new BatchEngine(m, pool, 1, 128, 8, 64, now::get);
            assertThat(engine.stalledNanos()).as("no work, no stall").isZero();
            CountDownLatch inStep = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            RequestHandle h = engine.submit(new GenerationRequest(PROMPT, SamplerConfig.greedy(), 3, t -> false, (t, l) -> {
                inStep.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return true;
            }));
            assertThat(inStep.await(WAIT_S, TimeUnit.SECONDS)).isTrue();
            long wedgedFor = TimeUnit.SECONDS.toNanos(120);
            now.addAndGet(wedgedFor);
            assertThat(engine.stalledNanos()).as("a step that does not return while a request runs").isGreaterThanOrEqualTo(wedgedFor);
            release.countDown();
            h.result().get(WAIT_S, TimeUnit.SECONDS);
            assertThat(engine.stalledNanos()).as("idle again").isZero();
            assertThat(engine.alive()).isTrue();
            engine.close();
            assertThat(engine.alive()).isFalse();
        }
    }
}
