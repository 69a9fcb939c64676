package dev.smelt.runtime.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.lora.LoraAdapter;
import dev.smelt.model.lora.LoraApplier;
import dev.smelt.model.lora.RandomLora;
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

/** Per-request LoRA adapters on one shared base in the batching engine. */
class MultiLoraEngineTest {
    /**
     * A per-request adapter (base output, then B·(A·x) added through a gathered copy of its rows) against
     * the static {@code LoraLinear} wrap (the same deltas added in place): both sum the same terms in the
     * same order, so differences can only come from the batched base product; the bound is far below the
     * logit gaps greedy decoding depends on.
     */
    private static final float STATIC_TOLERANCE = 1e-3f;
    private static final int[] PROMPT = {1, 40, 41, 42, 43, 44, 45};
    private static final int MAX = 8;

    /** Tokens and every step's logits of one request. */
    private record Run(int[] tokens, List<float[]> logits, int cached) {
    }

    private static LoraAdapter adapter(DecoderModel m, long seed) {
        return RandomLora.create(m, 4, 8f, List.of(), seed, 0.1f);
    }

    private static RequestHandle submit(BatchEngine e, int adapter, List<float[]> sink) {
        return e.submit(new GenerationRequest(PROMPT, SamplerConfig.greedy(), MAX, t -> false, (t, logits) -> {
            sink.add(logits.clone());
            return true;
        }, null, -1, adapter));
    }

    private static Run await(RequestHandle h, List<float[]> sink) throws Exception {
        GenerationResult r = h.result().get(60, TimeUnit.SECONDS);
        return new Run(r.tokens(), sink, r.cachedTokens());
    }

    /**
     * Two runs of one request: the same batch run twice already differs by ~3.6e-6 on logits of magnitude
     * ~10 (the Vector API kernels round differently before and after C2 compiles them, and the base
     * product's row blocking depends on how many rows share a step), so logits are compared within this
     * bound and greedy tokens exactly.
     */
    private static final float BATCH_TOLERANCE = 1e-4f;

    @Test
    void baseAndTwoAdaptersInOneBatchMatchEachAlone() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(2)) {
            LoraAdapter a = adapter(m, 1);
            LoraAdapter b = adapter(m, 2);
            assertThat(LoraApplier.applyMulti(m, List.of(a, b), 1f)).isGreaterThan(0);
            List<Run> mixed = together(m, pool, 0, 1, 2);
            // a row's result does not depend on which adapters the other rows use
            for (int id = 0; id < 3; id++) {
                List<Run> uniform = together(m, pool, id, id, id);
                assertThat(mixed.get(id).tokens()).as("adapter %d tokens", id).containsExactly(uniform.get(id).tokens());
                assertClose(mixed.get(id).logits(), uniform.get(id).logits(), BATCH_TOLERANCE, "adapter " + id + " mixed vs uniform batch");
            }
            try (BatchEngine engine = new BatchEngine(m, pool, 4, 64, 8, 64)) {
                assertThat(engine.adapters()).isEqualTo(2);
                // alone, one after another: each reuses a slot whose cache another adapter filled
                for (int id = 0; id < 3; id++) {
                    List<float[]> sink = new ArrayList<>();
                    Run alone = await(submit(engine, id, sink), sink);
                    assertThat(alone.cached()).as("adapter %d reused KV of another adapter", id).isZero();
                    assertThat(alone.tokens()).as("adapter %d tokens", id).containsExactly(mixed.get(id).tokens());
                    assertClose(alone.logits(), mixed.get(id).logits(), BATCH_TOLERANCE, "adapter " + id + " alone vs batched");
                }
                // prefix reuse only from a cache of the same adapter
                List<float[]> again = new ArrayList<>();
                assertThat(await(submit(engine, 2, again), again).cached()).isEqualTo(PROMPT.length - 1);
                assertThatThrownBy(() -> submit(engine, 3, new ArrayList<>())).hasMessageContaining("adapter id 3");
            }
            assertThat(mixed.get(1).tokens()).as("adapter A changes the output").isNotEqualTo(mixed.get(0).tokens());
            assertThat(mixed.get(2).tokens()).as("adapters differ").isNotEqualTo(mixed.get(1).tokens());
            assertMatchesStatic(mixed.get(1), a, pool);
        }
    }

    /** Runs PROMPT once per given adapter id, all admitted in one step of a fresh engine. */
    private static List<Run> together(DecoderModel m, ThreadPool pool, int... ids) throws Exception {
        try (BatchEngine engine = new BatchEngine(m, pool, ids.length + 1, 64, 8, 64)) {
            // hold the engine thread inside a listener while the requests are queued, so one step admits them all
            CountDownLatch queued = new CountDownLatch(1);
            CountDownLatch inListener = new CountDownLatch(1);
            RequestHandle blocker = engine.submit(new GenerationRequest(new int[] {1, 7}, SamplerConfig.greedy(), 1, t -> false, (t, l) -> {
                inListener.countDown();
                try {
                    return queued.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }));
            assertThat(inListener.await(30, TimeUnit.SECONDS)).isTrue();
            List<List<float[]>> sinks = new ArrayList<>();
            List<RequestHandle> hs = new ArrayList<>();
            for (int id : ids) {
                List<float[]> sink = new ArrayList<>();
                sinks.add(sink);
                hs.add(submit(engine, id, sink));
            }
            long steps0 = engine.stats().steps.get();
            queued.countDown();
            blocker.result().get(30, TimeUnit.SECONDS);
            List<Run> runs = new ArrayList<>();
            for (int i = 0; i < ids.length; i++) {
                runs.add(await(hs.get(i), sinks.get(i)));
            }
            // one prompt step for all, then shared decode steps: MAX steps in all, not ids.length × MAX
            assertThat(engine.stats().steps.get() - steps0).as("engine steps for %d requests", ids.length).isEqualTo(MAX);
            return runs;
        }
    }

    /** base+A through the engine against a model with A applied statically (the {@code --lora} path). */
    private static void assertMatchesStatic(Run multi, LoraAdapter a, ThreadPool pool) throws Exception {
        try (DecoderModel s = Models.load(SharedData.model("shakespeare.gguf"))) {
            LoraApplier.apply(s, a, 1f);
            List<float[]> logits = new ArrayList<>();
            int[] tokens = new Generator(s, pool).generate(PROMPT, s.newCache(64), new Sampler(SamplerConfig.greedy()), MAX, t -> false,
                    (t, l) -> {
                        logits.add(l.clone());
                        return true;
                    }).tokens();
            assertThat(multi.tokens()).containsExactly(tokens);
            for (int step = 0; step < logits.size(); step++) {
                float[] x = multi.logits().get(step);
                float[] y = logits.get(step);
                float max = 0;
                int at = -1;
                for (int i = 0; i < x.length; i++) {
                    float d = Math.abs(x[i] - y[i]);
                    if (d > max) {
                        max = d;
                        at = i;
                    }
                }
                int worst = at;
                float diff = max;
                int st = step;
                assertThat(diff).as(() -> "step " + st + " logit " + worst + ": multi " + x[worst] + " vs static " + y[worst]
                        + ", max diff " + diff).isLessThanOrEqualTo(STATIC_TOLERANCE);
            }
        }
    }

    /** Every step's logits equal within {@code tol} (0 = the same floats); a failure names step, index, both values, max diff. */
    private static void assertClose(List<float[]> x, List<float[]> y, float tol, String what) {
        assertThat(x).as(what + " steps").hasSameSizeAs(y);
        for (int s = 0; s < x.size(); s++) {
            float[] p = x.get(s);
            float[] q = y.get(s);
            float max = 0;
            int at = -1;
            for (int i = 0; i < p.length; i++) {
                float d = Math.abs(p[i] - q[i]);
                if (d > max || (tol == 0 && at < 0 && Float.floatToIntBits(p[i]) != Float.floatToIntBits(q[i]))) {
                    max = Math.max(max, d);
                    at = i;
                }
            }
            if (at >= 0 && (max > tol || tol == 0)) {
                throw new AssertionError(what + " step " + s + " logit " + at + ": " + p[at] + " vs " + q[at] + ", max diff " + max
                        + " > tolerance " + tol);
            }
        }
    }
}
