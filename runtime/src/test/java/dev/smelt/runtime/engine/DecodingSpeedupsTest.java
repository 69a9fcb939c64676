package dev.smelt.runtime.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.arch.Models;
import dev.smelt.runtime.Generator;
import dev.smelt.runtime.constrain.JsonConstraint;
import dev.smelt.runtime.constrain.SchemaCompiler;
import dev.smelt.runtime.sampling.Sampler;
import dev.smelt.runtime.sampling.SamplerConfig;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Jump-forward decoding, speculative decoding (prompt lookup, draft model) and chunked prefill, on the trained tiny model. */
class DecodingSpeedupsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long WAIT_S = 120;

    private static int[] nonSpeculative(DecoderModel m, ThreadPool pool, int[] prompt, int max) {
        return new Generator(m, pool).generate(prompt, m.newCache(512), new Sampler(SamplerConfig.greedy()), max, t -> false, null).tokens();
    }

    private static GenerationRequest greedy(int[] prompt, int max) {
        return new GenerationRequest(prompt, SamplerConfig.greedy(), max, t -> false, null);
    }

    // ---- jump-forward ----

    private static final int END = 2;
    private static final int FIRST_PIECE = 100;
    /** Whole pieces only: each document has one spelling, so the model's own constrained choice is the forced token. */
    private static final String[] PIECES = {"{", "\"", "label", "\":", " ", "}", "card", "_arrival", "_linking", "cash", "_withdrawal", "\"}", ":", "\n"};
    private static final String LABELS = "{\"type\":\"object\",\"properties\":{\"label\":{\"enum\":[\"card_arrival\",\"card_linking\",\"cash_withdrawal\"]}},\"required\":[\"label\"]}";

    private static byte[][] pieceVocab(int vocab) {
        byte[][] v = new byte[vocab][0];
        for (int i = 0; i < PIECES.length; i++) {
            v[FIRST_PIECE + i] = PIECES[i].getBytes(StandardCharsets.UTF_8);
        }
        return v;
    }

    /** Greedy longest match over the pieces: the stand-in tokenizer the constraint tokenizes forced text with. */
    private static int[] encode(String text) {
        List<Integer> ids = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            int best = -1;
            for (int t = 0; t < PIECES.length; t++) {
                if (text.startsWith(PIECES[t], i) && (best < 0 || PIECES[t].length() > PIECES[best].length())) {
                    best = t;
                }
            }
            if (best < 0) {
                break; // forced text that ends inside a piece: tokenize what can be
            }
            ids.add(FIRST_PIECE + best);
            i += PIECES[best].length();
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private record Run(int[] tokens, long steps, long jumped) {
    }

    private static Run constrained(DecoderModel m, ThreadPool pool, int[] prompt, boolean jump, int whitespace) throws Exception {
        byte[][] vocab = pieceVocab(m.config().vocab());
        var root = SchemaCompiler.compile(JSON.readTree(LABELS));
        try (BatchEngine e = new BatchEngine(m, pool, 1, 256, 4, 64, System::nanoTime, EngineOptions.DEFAULT.withJumpForward(jump))) {
            GenerationRequest r = new GenerationRequest(prompt, SamplerConfig.greedy(), 40, t -> t == END, null,
                    new JsonConstraint(root, vocab, t -> t == END, whitespace, DecodingSpeedupsTest::encode), END);
            int[] tokens = e.submit(r).result().get(WAIT_S, TimeUnit.SECONDS).tokens();
            return new Run(tokens, e.stats().steps.get(), e.stats().jumpForwardTokens.get());
        }
    }

    private static String text(int[] tokens) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int t : tokens) {
            if (t >= FIRST_PIECE) {
                b.writeBytes(PIECES[t - FIRST_PIECE].getBytes(StandardCharsets.UTF_8));
            }
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    private static JsonNode document(int[] tokens) throws Exception {
        return JSON.readTree(text(tokens));
    }

    /**
     * At temperature 0 the jump-forward output is the same document; where the model itself picks the tokenizer's
     * tokens for the forced text (the non-jump run's tokens are the tokenization of its own text), the same tokens.
     */
    @Test
    void jumpForwardGivesTheSameOutputInFewerSteps() throws Exception {
        int identical = 0;
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(2)) {
            for (int[] prompt : new int[][] {{1, 40, 41, 42}, {1, 70, 71}, {1, 150, 90, 33, 12}}) {
                for (int ws : new int[] {0, JsonConstraint.DEFAULT_WHITESPACE}) {
                    String what = "prompt " + java.util.Arrays.toString(prompt) + ", whitespace " + ws;
                    Run plain = constrained(m, pool, prompt, false, ws);
                    Run jump = constrained(m, pool, prompt, true, ws);
                    assertThat(plain.tokens()[plain.tokens().length - 1]).isEqualTo(END);
                    assertThat(jump.tokens()[jump.tokens().length - 1]).isEqualTo(END);
                    JsonNode doc = document(jump.tokens());
                    assertThat(doc).as(what).isEqualTo(document(plain.tokens()));
                    assertThat(doc.get("label").asText()).isIn("card_arrival", "card_linking", "cash_withdrawal");
                    int[] body = java.util.Arrays.copyOf(plain.tokens(), plain.tokens().length - 1);
                    if (java.util.Arrays.equals(encode(text(body)), body)) {
                        assertThat(jump.tokens()).as(what).containsExactly(plain.tokens());
                        identical++;
                    }
                    assertThat(jump.jumped()).as(what + ": something is forced").isPositive();
                    assertThat(plain.jumped()).isZero();
                    assertThat(jump.steps()).as(what + ": forced tokens share a forward").isLessThan(plain.steps());
                }
            }
        }
        assertThat(identical).as("runs where the model chose the tokenizer's tokens").isPositive();
    }

    // ---- speculative decoding ----

    @Test
    void promptLookupDraftsGiveTheNonSpeculativeOutput() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(2)) {
            int[] seed = {1, 60, 61, 62, 63};
            int[] first = nonSpeculative(m, pool, seed, 24);
            // the prompt holds text the model is likely to repeat: lookups find it and draft its continuation
            int[] prompt = concat(seed, first, seed);
            EngineOptions o = EngineOptions.DEFAULT.withDrafter(new PromptLookupDrafter());
            try (BatchEngine e = new BatchEngine(m, pool, 2, 512, 4, 256, System::nanoTime, o)) {
                RequestHandle a = e.submit(greedy(prompt, 32));
                RequestHandle b = e.submit(greedy(new int[] {1, 90, 91, 92}, 32));
                assertThat(a.result().get(WAIT_S, TimeUnit.SECONDS).tokens()).containsExactly(nonSpeculative(m, pool, prompt, 32));
                assertThat(b.result().get(WAIT_S, TimeUnit.SECONDS).tokens()).containsExactly(nonSpeculative(m, pool, new int[] {1, 90, 91, 92}, 32));
                assertThat(e.stats().draftTokens.get()).isPositive();
                assertThat(e.stats().draftAccepted.get()).isPositive().isLessThanOrEqualTo(e.stats().draftTokens.get());
                assertThat(e.stats().steps.get()).as("accepted drafts save steps").isLessThan(32 + 1);
            }
        }
    }

    @Test
    void aDraftModelGivesTheNonSpeculativeOutput() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); DecoderModel draft = Models.load(SharedData.model("shakespeare-Q8_0.gguf"));
             ThreadPool pool = new ThreadPool(2)) {
            int[][] prompts = {{1, 60, 61, 62, 63}, {1, 100, 101}, {1, 200, 201, 202, 203, 204}};
            EngineOptions o = EngineOptions.DEFAULT.withDrafter(new DraftModelDrafter(draft, pool, 2, 256, m.config().vocab(), 0f));
            try (BatchEngine e = new BatchEngine(m, pool, 2, 256, 4, 64, System::nanoTime, o)) {
                List<RequestHandle> hs = new ArrayList<>();
                for (int[] p : prompts) {
                    hs.add(e.submit(greedy(p, 20)));
                }
                for (int i = 0; i < prompts.length; i++) {
                    assertThat(hs.get(i).result().get(WAIT_S, TimeUnit.SECONDS).tokens()).as("prompt %d", i)
                            .containsExactly(nonSpeculative(m, pool, prompts[i], 20));
                }
                assertThat(e.stats().draftAccepted.get()).as("the Q8_0 copy mostly agrees with F32").isPositive();
            }
        }
    }

    @Test
    void aDraftModelOfAnotherVocabularyIsRefused() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(1)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new DraftModelDrafter(m, pool, 1, 64, m.config().vocab() + 1, 0.75f))
                    .hasMessageContaining("draft model's vocabulary has " + m.config().vocab() + " tokens");
        }
    }

    // ---- chunked prefill ----

    @Test
    void aLongPromptIsPrefilledInChunksWhileARunningStreamKeepsDecoding() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(2);
             BatchEngine e = new BatchEngine(m, pool, 2, 1024, 4, 64)) {
            int[] longPrompt = new int[600];
            for (int i = 0; i < longPrompt.length; i++) {
                longPrompt[i] = 3 + i % 150;
            }
            AtomicInteger streamTokens = new AtomicInteger();
            AtomicInteger streamTokensAtLongFirst = new AtomicInteger(-1);
            RequestHandle[] longOne = new RequestHandle[1];
            GenerationRequest stream = new GenerationRequest(new int[] {1, 60}, SamplerConfig.greedy(), 200, t -> false, (tok, l) -> {
                if (streamTokens.incrementAndGet() == 1) { // submitted from the engine thread: admitted at the next step, deterministically
                    longOne[0] = e.submit(new GenerationRequest(longPrompt, SamplerConfig.greedy(), 2, t -> false, (t2, l2) -> {
                        streamTokensAtLongFirst.compareAndSet(-1, streamTokens.get());
                        return true;
                    }));
                }
                return true;
            });
            RequestHandle s = e.submit(stream);
            s.result().get(WAIT_S, TimeUnit.SECONDS);
            longOne[0].result().get(WAIT_S, TimeUnit.SECONDS);
            int chunks = (longPrompt.length + 62) / 63; // 64 tokens a step, one of them the stream's
            assertThat(streamTokensAtLongFirst.get() - 1).as("stream tokens while the 600-token prompt was prefilled")
                    .isGreaterThanOrEqualTo(chunks - 1);
            assertThat((double) e.stats().stepTokens.get() / e.stats().steps.get()).isLessThanOrEqualTo(64);
        }
    }

    // ---- prompt scheduling: first come, first served, a bounded chunk a step while streams decode ----

    private static int[] tokens(int n, int first) {
        int[] p = new int[n];
        p[0] = 1;
        for (int i = 1; i < n; i++) {
            p[i] = first + i % 120;
        }
        return p;
    }

    /** A 2-token greedy request whose listener records {@code counter}'s value when its first token arrives. */
    private static GenerationRequest recordingFirst(int[] prompt, AtomicInteger counter, AtomicInteger atFirst) {
        return new GenerationRequest(prompt, SamplerConfig.greedy(), 2, t -> false, (t, l) -> {
            atFirst.compareAndSet(-1, counter.get());
            return true;
        });
    }

    @Test
    void promptsArrivingWhileAStreamDecodesArePrefilledOldestFirstInChunks() throws Exception {
        int chunk = 8;
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(2);
             BatchEngine e = new BatchEngine(m, pool, 3, 256, 4, 256, System::nanoTime, EngineOptions.DEFAULT.withPrefillChunk(chunk))) {
            // slot 0 is used once, so later requests take slots 1 (stream), 2 (older), 0 (newer): the newer prompt's slot
            // comes first in slot order, and only arrival order puts the older prompt first
            e.submit(greedy(tokens(5, 90), 1)).result().get(WAIT_S, TimeUnit.SECONDS);
            int[] older = tokens(20, 3);
            int[] newer = tokens(5, 40);
            AtomicInteger streamTokens = new AtomicInteger();
            AtomicInteger atOlderFirst = new AtomicInteger(-1);
            AtomicInteger atNewerFirst = new AtomicInteger(-1);
            RequestHandle[] late = new RequestHandle[2];
            GenerationRequest stream = new GenerationRequest(new int[] {1, 60}, SamplerConfig.greedy(), 40, t -> false, (tok, l) -> {
                if (streamTokens.incrementAndGet() == 1) { // submitted from the engine thread: both admitted at the next step
                    late[0] = e.submit(recordingFirst(older, streamTokens, atOlderFirst));
                    late[1] = e.submit(recordingFirst(newer, streamTokens, atNewerFirst));
                }
                return true;
            });
            e.submit(stream).result().get(WAIT_S, TimeUnit.SECONDS);
            for (RequestHandle h : late) {
                h.result().get(WAIT_S, TimeUnit.SECONDS);
            }
            // each step after the stream's first token: one stream token, then 8 prompt tokens, oldest prompt first:
            // older 8 + 8 + 4 (+ newer 4), newer's last 1 in the fourth step
            int olderSteps = (older.length + chunk - 1) / chunk;
            assertThat(atOlderFirst.get()).as("stream tokens when the older prompt's first token came").isEqualTo(1 + olderSteps);
            assertThat(atNewerFirst.get()).as("stream tokens when the newer prompt's first token came")
                    .isEqualTo(1 + (older.length + newer.length + chunk - 1) / chunk);
        }
    }

    @Test
    void withNothingDecodingAPromptLongerThanTheChunkTakesOneStep() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(2);
             BatchEngine e = new BatchEngine(m, pool, 2, 256, 4, 256, System::nanoTime, EngineOptions.DEFAULT.withPrefillChunk(8))) {
            AtomicInteger stepsAtFirst = new AtomicInteger(-1);
            e.submit(new GenerationRequest(tokens(40, 3), SamplerConfig.greedy(), 3, t -> false, (t, l) -> {
                stepsAtFirst.compareAndSet(-1, (int) e.stats().steps.get());
                return true;
            })).result().get(WAIT_S, TimeUnit.SECONDS);
            assertThat(stepsAtFirst.get()).as("engine steps until the first token of a 40-token prompt on an idle engine").isEqualTo(1);
        }
    }

    @Test
    void promptsArrivingTogetherOnAnIdleEngineGetTheirFirstTokensOldestFirst() throws Exception {
        int chunk = 8;
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(2);
             BatchEngine e = new BatchEngine(m, pool, 2, 256, 4, 256, System::nanoTime, EngineOptions.DEFAULT.withPrefillChunk(chunk))) {
            int[] older = tokens(20, 3);
            int[] newer = tokens(6, 40);
            AtomicInteger atOlderFirst = new AtomicInteger(-1);
            AtomicInteger atNewerFirst = new AtomicInteger(-1);
            // a blocker holds the engine thread in its listener until both prompts are queued: they are admitted together
            java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch queued = new java.util.concurrent.CountDownLatch(1);
            e.submit(new GenerationRequest(tokens(4, 90), SamplerConfig.greedy(), 1, t -> false, (t, l) -> {
                entered.countDown();
                try {
                    queued.await(WAIT_S, TimeUnit.SECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
                return true;
            }));
            assertThat(entered.await(WAIT_S, TimeUnit.SECONDS)).isTrue();
            RequestHandle o = e.submit(new GenerationRequest(older, SamplerConfig.greedy(), 2, t -> false, (t, l) -> {
                atOlderFirst.compareAndSet(-1, (int) e.stats().steps.get());
                return true;
            }));
            RequestHandle n = e.submit(new GenerationRequest(newer, SamplerConfig.greedy(), 2, t -> false, (t, l) -> {
                atNewerFirst.compareAndSet(-1, (int) e.stats().steps.get());
                return true;
            }));
            queued.countDown();
            o.result().get(WAIT_S, TimeUnit.SECONDS);
            n.result().get(WAIT_S, TimeUnit.SECONDS);
            // step 1 was the blocker's; then 8 prompt tokens a step, the older prompt's first: 8, 8, 4 + newer 4, newer 2
            assertThat(atOlderFirst.get()).as("steps until the older prompt's first token").isEqualTo(1 + (older.length + chunk - 1) / chunk);
            assertThat(atNewerFirst.get()).as("steps until the newer prompt's first token")
                    .isEqualTo(1 + (older.length + newer.length + chunk - 1) / chunk);
        }
    }

    @Test
    void chunkedFirstComeFirstServedPrefillKeepsGreedyOutputs() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(2);
             BatchEngine e = new BatchEngine(m, pool, 3, 256, 8, 256, System::nanoTime, EngineOptions.DEFAULT.withPrefillChunk(7))) {
            int[][] prompts = {tokens(30, 3), tokens(12, 50), tokens(21, 17), tokens(9, 80)};
            List<RequestHandle> hs = new ArrayList<>();
            for (int[] p : prompts) {
                hs.add(e.submit(greedy(p, 12)));
            }
            for (int i = 0; i < prompts.length; i++) {
                assertThat(hs.get(i).result().get(WAIT_S, TimeUnit.SECONDS).tokens()).as("request %d", i)
                        .containsExactly(nonSpeculative(m, pool, prompts[i], 12));
            }
        }
    }

    private static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) {
            n += p.length;
        }
        int[] out = new int[n];
        int i = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, i, p.length);
            i += p.length;
        }
        return out;
    }
}
