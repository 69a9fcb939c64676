package dev.smelt.runtime.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.ContextOverflowException;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.runtime.Generator;
import dev.smelt.runtime.sampling.Sampler;
import dev.smelt.runtime.sampling.SamplerConfig;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BatchEngineTest {
    private static GenerationRequest greedy(int[] prompt, int max) {
        return new GenerationRequest(prompt, SamplerConfig.greedy(), max, t -> false, null);
    }

    @Test
    void concurrentRequestsMatchSequentialGeneration() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(2);
             BatchEngine engine = new BatchEngine(m, pool, 2, 128, 8, 16)) {
            int[][] prompts = {{1, 40, 41, 42, 43, 44}, {1, 100, 101}, {1, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213, 214, 215, 216, 217, 218}};
            List<RequestHandle> handles = new ArrayList<>();
            for (int[] p : prompts) {
                handles.add(engine.submit(greedy(p, 10)));
            }
            Generator g = new Generator(m, pool);
            for (int i = 0; i < prompts.length; i++) {
                GenerationResult r = handles.get(i).result().get(60, TimeUnit.SECONDS);
                int[] expected = g.generate(prompts[i], m.newCache(128), new Sampler(SamplerConfig.greedy()), 10, t -> false, null).tokens();
                assertThat(r.tokens()).as("request %d", i).containsExactly(expected);
                assertThat(r.finishReason()).isEqualTo("length");
            }
        }
    }

    @Test
    void reusesLongestCommonPrefixOfAnIdleSlot() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(2);
             BatchEngine engine = new BatchEngine(m, pool, 2, 128, 8, 64)) {
            int[] a = {1, 50, 51, 52, 53, 54, 55, 56};
            engine.submit(greedy(a, 4)).result().get(30, TimeUnit.SECONDS);
            int[] b = {1, 50, 51, 52, 53, 54, 99};
            GenerationResult r = engine.submit(greedy(b, 4)).result().get(30, TimeUnit.SECONDS);
            assertThat(r.cachedTokens()).isEqualTo(6);
            int[] expected = new Generator(m, pool).generate(b, m.newCache(64), new Sampler(SamplerConfig.greedy()), 4, t -> false, null).tokens();
            assertThat(r.tokens()).containsExactly(expected);
        }
    }

    @Test
    void aRequestSharingOnlyBosTakesAFreeSlotInsteadOfEvictingAUsefulCache() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(2);
             BatchEngine engine = new BatchEngine(m, pool, 2, 128, 8, 64)) {
            int[] a = {1, 80, 81, 82, 83, 84, 85, 86, 87};
            engine.submit(greedy(a, 3)).result().get(30, TimeUnit.SECONDS);
            engine.submit(greedy(new int[] {1, 200, 201, 202}, 3)).result().get(30, TimeUnit.SECONDS); // shares only BOS
            int[] b = {1, 80, 81, 82, 83, 84, 85, 99};
            GenerationResult r = engine.submit(greedy(b, 3)).result().get(30, TimeUnit.SECONDS);
            assertThat(r.cachedTokens()).as("a's cache survived the unrelated request").isEqualTo(7);
            assertThat(engine.stats().promptPrefixCopies.get()).as("found in its own slot, no copy").isZero();
        }
    }

    private static final int A_TOKENS = 900;

    @Test
    void copiesALongerPrefixFromASlotStillGenerating() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(2);
             BatchEngine engine = new BatchEngine(m, pool, 2, 1024, 8, 64)) {
            int[] shared = {1, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75};
            int[] a = java.util.Arrays.copyOf(shared, shared.length + 2);
            a[shared.length] = 120;
            a[shared.length + 1] = 121;
            int[] b = java.util.Arrays.copyOf(shared, shared.length + 1);
            b[shared.length] = 130;
            CountDownLatch generating = new CountDownLatch(1);
                        // a generates for seconds: b must start and finish while it runs, even when this thread is starved
            RequestHandle ha = engine.submit(new GenerationRequest(a, SamplerConfig.greedy(), A_TOKENS, t -> false, (t, l) -> {
                generating.countDown();
                return true;
            }));
            assertThat(generating.await(30, TimeUnit.SECONDS)).isTrue();
            GenerationResult rb = engine.submit(greedy(b, 6)).result().get(30, TimeUnit.SECONDS);
            assertThat(ha.result().isDone()).as("a was still generating when b started").isFalse();
            assertThat(rb.cachedTokens()).as("b starts from a's keys/values of the shared prefix").isEqualTo(shared.length);
            assertThat(engine.stats().promptPrefixCopies.get()).isEqualTo(1);
            Generator g = new Generator(m, pool);
            int[] expectedB = g.generate(b, m.newCache(128), new Sampler(SamplerConfig.greedy()), 6, t -> false, null).tokens();
            assertThat(rb.tokens()).containsExactly(expectedB);
            GenerationResult ra = ha.result().get(60, TimeUnit.SECONDS);
            int[] expectedA = g.generate(a, m.newCache(1024), new Sampler(SamplerConfig.greedy()), A_TOKENS, t -> false, null).tokens();
            assertThat(ra.tokens()).as("the donor is unaffected").containsExactly(expectedA);
        }
    }

    @Test
    void cancellationFreesTheSlot() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(2);
             BatchEngine engine = new BatchEngine(m, pool, 1, 2048, 8, 64)) {
            CountDownLatch started = new CountDownLatch(1);
            RequestHandle h = engine.submit(new GenerationRequest(new int[] {1, 60}, SamplerConfig.greedy(), 2000, t -> false,
                    (tok, l) -> { started.countDown(); return true; }));
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            h.cancel();
            GenerationResult r = h.result().get(30, TimeUnit.SECONDS);
            assertThat(r.finishReason()).isEqualTo("cancelled");
            assertThat(r.tokens().length).isLessThan(2000);
            // the single slot is free again
            assertThat(engine.submit(greedy(new int[] {1, 61}, 3)).result().get(30, TimeUnit.SECONDS).tokens()).hasSize(3);
            assertThat(engine.activeRequests()).isZero();
        }
    }

    @Test
    void oversizeRequestsAndFullQueueAreRejected() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(1);
             BatchEngine engine = new BatchEngine(m, pool, 1, 32, 1, 64)) {
            assertThatThrownBy(() -> engine.submit(greedy(new int[] {1, 2, 3}, 30))).isInstanceOf(ContextOverflowException.class)
                    .hasMessageContaining("33 positions needed but the context holds 32");
            CountDownLatch hold = new CountDownLatch(1);
            CountDownLatch inSlot = new CountDownLatch(1);
            RequestHandle busy = engine.submit(new GenerationRequest(new int[] {1, 5}, SamplerConfig.greedy(), 20, t -> false, (tok, l) -> {
                inSlot.countDown();
                try {
                    hold.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return true;
            }));
            assertThat(inSlot.await(30, TimeUnit.SECONDS)).as("busy left the queue for the slot").isTrue();
            engine.submit(greedy(new int[] {1, 6}, 2)); // waits in the queue (capacity 1)
            assertThatThrownBy(() -> engine.submit(greedy(new int[] {1, 7}, 2))).isInstanceOf(QueueFullException.class);
            hold.countDown();
            busy.result().get(30, TimeUnit.SECONDS);
        }
    }
}
