package dev.smelt.runtime.engine;

import dev.smelt.model.SequenceBatch;
import dev.smelt.model.arch.ContextOverflowException;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.runtime.constrain.ConstrainedSampling;
import dev.smelt.runtime.sampling.Sampler;
import dev.smelt.tensor.ThreadPool;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Continuous batching: one engine thread owns every sequence slot and, each step, runs one shared
 * forward over the decode tokens of all generating slots plus prompt chunks of new ones (as
 * llama-server does), so weights are read once per step for everyone. A new request takes the idle
 * slot whose cached tokens share the longest prefix with its prompt (else the least recently used),
 * and skips that prefix (only a cache filled with the same LoRA adapter counts: keys and values depend
 * on it); when a busy slot holds a longer prefix of the prompt, its keys/values are copied over first. Rows carry their request's adapter id, so sequences on different adapters of one shared base
 * share a step. Cancellation frees a slot at the next step. The wait queue is bounded.
 *
 * <p>The engine thread cannot be killed by a request: an exception while starting a request, sampling for it or
 * delivering its token fails that request only; one in the shared forward step fails the requests of that step (their
 * caches are reset) and the loop goes on. {@link #alive()} and {@link #stalledNanos()} let a watchdog see an engine
 * that stopped or stopped making progress while work waits (a wedged listener, a bug).
 *
 * <p>Thread-safety: {@link #submit} and {@link #close} may be called from any thread; listeners run
 * on the engine thread. Owns a thread: close it.
 */
public final class BatchEngine implements AutoCloseable {
    /** Tokens per step (decode tokens + prompt chunks): bounds step latency and scratch memory. */
    public static final int DEFAULT_STEP_TOKENS = 256;
    private static final long IDLE_PARK_NANOS = 50_000_000L;
    /** Shortest cached prompt prefix that steers slot choice or is copied between slots (see {@link #worthReusing}). */
    static final int MIN_PREFIX_REUSE = 4;

    private final DecoderModel model;
    private final int adapters; // LoRA adapters attached to the model for per-request selection
    private final ThreadPool pool;
    private final Slot[] slots;
    private final int contextPerSlot;
    private final int stepTokens;
    private final BlockingQueue<RequestHandle> queue;
    private final int queueCapacity;
    private final Thread thread;
    private final EngineStats stats = new EngineStats();
    private final AtomicLong active = new AtomicLong();
    private final AtomicLong submissions = new AtomicLong();
    private final List<Slot> prefilling = new ArrayList<>(); // buildBatch's scratch: slots in prompt, oldest request first
    private volatile boolean closing;
    private volatile boolean cancelOnClose;
    private final LongSupplier clock; // nanoseconds, for the watchdog (tests inject a manual clock)
    private volatile long lastProgressNanos; // the last time the loop finished an iteration (a step, or an idle wait)
    private final EngineOptions options;
    private final int[] draftBuffer;

    /**
     * @param slots          concurrent sequences
     * @param contextPerSlot KV capacity of each slot, in tokens
     * @param queueCapacity  requests allowed to wait for a slot before {@link QueueFullException}
     */
    public BatchEngine(DecoderModel model, ThreadPool pool, int slots, int contextPerSlot, int queueCapacity, int stepTokens) {
        this(model, pool, slots, contextPerSlot, queueCapacity, stepTokens, System::nanoTime);
    }

    /** @param nanoClock monotonic nanoseconds for {@link #stalledNanos()} */
    public BatchEngine(DecoderModel model, ThreadPool pool, int slots, int contextPerSlot, int queueCapacity, int stepTokens,
                       LongSupplier nanoClock) {
        this(model, pool, slots, contextPerSlot, queueCapacity, stepTokens, nanoClock, EngineOptions.DEFAULT);
    }

    /** @param options jump-forward and speculative decoding (the engine does not close the drafter) */
    public BatchEngine(DecoderModel model, ThreadPool pool, int slots, int contextPerSlot, int queueCapacity, int stepTokens,
                       LongSupplier nanoClock, EngineOptions options) {
        if (slots < 1 || contextPerSlot < 2 || queueCapacity < 0 || stepTokens < 1) {
            throw new IllegalArgumentException("invalid engine sizes: slots " + slots + ", context " + contextPerSlot
                    + ", queue " + queueCapacity + ", step tokens " + stepTokens);
        }
        this.model = model;
        this.options = options;
        this.draftBuffer = new int[options.draftMax()];
        int[] n = {0};
        model.transformLinears(l -> { // read-only walk: the projections are returned unchanged
            if (l instanceof dev.smelt.model.lora.MultiLoraLinear m) {
                n[0] = Math.max(n[0], m.adapters());
            }
            return l;
        });
        this.adapters = n[0];
        this.pool = pool;
        this.slots = new Slot[slots];
        for (int i = 0; i < slots; i++) {
            this.slots[i] = new Slot(i);
        }
        this.contextPerSlot = contextPerSlot;
        this.stepTokens = stepTokens;
        this.queueCapacity = queueCapacity;
        this.queue = new ArrayBlockingQueue<>(Math.max(1, queueCapacity + slots));
        this.clock = nanoClock;
        this.lastProgressNanos = nanoClock.getAsLong();
        this.thread = Thread.ofPlatform().name("smelt-engine").daemon().start(this::loop);
    }

    public DecoderModel model() {
        return model;
    }

    /** LoRA adapters requests may select (ids 1 .. adapters()). */
    public int adapters() {
        return adapters;
    }

    public int contextPerSlot() {
        return contextPerSlot;
    }

    public EngineStats stats() {
        return stats;
    }

    /** Requests waiting for a slot. */
    public int queueDepth() {
        return queue.size();
    }

    /** Requests holding a slot. */
    public long activeRequests() {
        return active.get();
    }

    /** False once the engine thread has ended (after {@link #close}, or through a bug): nothing queued will run. */
    public boolean alive() {
        return thread.isAlive();
    }

    /**
     * How long the engine has gone without progress (a finished step or idle wait) while requests wait or run; 0 when
     * there is no work. A large value means a wedged engine: a step that does not return.
     */
    public long stalledNanos() {
        if (queue.isEmpty() && active.get() == 0) {
            return 0;
        }
        return Math.max(0, clock.getAsLong() - lastProgressNanos);
    }

    /** Total KV positions in use across slots, and capacity, for metrics. */
    public long[] kvUsage() {
        long used = 0;
        for (Slot s : slots) {
            var c = s.cache;
            used += c == null ? 0 : c.length();
        }
        return new long[] {used, (long) slots.length * contextPerSlot};
    }

    /**
     * Queues a request.
     *
     * @throws ContextOverflowException when prompt + max tokens exceed a slot's context (never truncated)
     * @throws QueueFullException       when the wait queue is full
     */
    public RequestHandle submit(GenerationRequest request) {
        if (closing || !thread.isAlive()) { // a dead engine would leave the request queued forever
            throw new IllegalStateException(closing ? "engine is shutting down" : "the engine thread has stopped");
        }
        if (request.adapter() > adapters) {
            throw new IllegalArgumentException("adapter id " + request.adapter() + " is not attached to this model (it has " + adapters + ")");
        }
        long need = (long) request.prompt().length + request.maxTokens(); // in long: max tokens may be Integer.MAX_VALUE
        if (need > contextPerSlot) {
            throw new ContextOverflowException((int) Math.min(need, Integer.MAX_VALUE), contextPerSlot);
        }
        for (int t : request.prompt()) {
            if (t < 0 || t >= model.config().vocab()) {
                throw new IllegalArgumentException("prompt token id " + t + " is outside the vocabulary [0, " + model.config().vocab() + ")");
            }
        }
        RequestHandle h = new RequestHandle(request, System.nanoTime(), submissions.getAndIncrement());
        if (queue.size() - freeSlots() >= queueCapacity || !queue.offer(h)) {
            stats.rejected.incrementAndGet();
            throw new QueueFullException(queueCapacity);
        }
        stats.submitted.incrementAndGet();
        LockSupport.unpark(thread);
        return h;
    }

    private int freeSlots() {
        int n = 0;
        for (Slot s : slots) {
            n += s.idle() ? 1 : 0;
        }
        return n;
    }

    private void loop() {
        SequenceBatch batch = new SequenceBatch();
        List<Slot> logitSlots = new ArrayList<>();
        while (true) {
            try {
                if (!iterate(batch, logitSlots)) {
                    return;
                }
            } catch (Throwable t) { // the step's state is unknown: fail its requests, never the loop
                stats.failedSteps.incrementAndGet();
                failAll(t);
            }
            lastProgressNanos = clock.getAsLong();
        }
    }

    /** One step (or an idle wait); false when the engine is closed and drained. */
    private boolean iterate(SequenceBatch batch, List<Slot> logitSlots) {
        admit();
        boolean any = dropCancelled();
        if (!any) {
            if (closing && queue.isEmpty()) {
                return false;
            }
            if (queue.isEmpty()) {
                LockSupport.parkNanos(this, IDLE_PARK_NANOS); // submit() unparks us
            }
            Thread.interrupted(); // only close() ends the loop
            return true;
        }
        batch.clear();
        logitSlots.clear();
        buildBatch(batch, logitSlots);
        long t0 = System.nanoTime();
        float[] logits = model.forward(pool, batch);
        stats.recordStep(batch.size(), System.nanoTime() - t0);
        afterStep(batch, logitSlots, logits);
        return true;
    }

    private void admit() {
        while (!queue.isEmpty()) {
            Slot best = null;
            RequestHandle h = queue.peek();
            if (h == null) {
                return;
            }
            int bestPrefix = -1;
            for (Slot s : slots) {
                if (!s.idle()) {
                    continue;
                }
                int p = worthReusing(s.commonPrefix(h.request.prompt(), h.request.adapter()));
                if (p > bestPrefix || (p == bestPrefix && s.lastUsedNanos < best.lastUsedNanos)) {
                    best = s;
                    bestPrefix = p;
                }
            }
            if (best == null) {
                return;
            }
            queue.poll();
            if (h.cancelled || (closing && cancelOnClose)) {
                h.result.complete(new GenerationResult(new int[0], "cancelled", h.request.prompt().length, 0,
                        System.nanoTime() - h.submittedNanos, 0, System.nanoTime() - h.submittedNanos, null));
                continue;
            }
            try {
                start(best, h, Math.max(bestPrefix, copyLongerPrefix(best, bestPrefix, h.request)));
            } catch (Throwable t) { // this request only: the slot stays idle, its cache is emptied (it may be half-copied)
                if (best.handle == h) { // only finishing a max_tokens 0 request comes after the slot is taken
                    best.handle = null;
                    active.decrementAndGet();
                }
                resetCache(best);
                stats.failedRequests.incrementAndGet();
                h.result.completeExceptionally(t);
            }
        }
    }

    private static void resetCache(Slot s) {
        if (s.cache != null) {
            s.cache.truncate(0);
        }
        s.cached = new int[0];
    }

    /**
     * A cached prefix shorter than {@link #MIN_PREFIX_REUSE} counts as none: matching only BOS and an
     * opening word saves nothing, and choosing a slot for it would evict keys/values that a later
     * request could reuse, while an empty or least recently used slot is free to take.
     */
    private static int worthReusing(int prefix) {
        return prefix < MIN_PREFIX_REUSE ? 0 : prefix;
    }

    /**
     * When another slot (typically one still generating) holds a longer prefix of the request's prompt
     * than {@code target} does, copies those keys/values into {@code target}: clients that share a
     * system prompt or a document then compute it once, not once per slot (vLLM's automatic prefix
     * caching does the same; llama-server reuses only the chosen idle slot's own cache). Runs on the
     * engine thread between steps, so no forward is writing the donor's cache.
     *
     * @return the prefix now in target's cache (≤ own when no slot has a longer one)
     */
    private int copyLongerPrefix(Slot target, int own, GenerationRequest r) {
        Slot donor = null;
        int longest = own;
        for (Slot s : slots) {
            if (s != target && s.cache != null) {
                int p = worthReusing(s.commonPrefix(r.prompt(), r.adapter()));
                if (p > longest) {
                    donor = s;
                    longest = p;
                }
            }
        }
        if (donor == null) {
            return own;
        }
        if (target.cache == null) {
            target.cache = model.newCache(contextPerSlot);
        }
        target.cache.copyPrefixFrom(donor.cache, longest);
        target.cached = Arrays.copyOf(donor.cached, Math.max(donor.cached.length, longest));
        target.cachedAdapter = donor.cachedAdapter;
        stats.promptPrefixCopies.incrementAndGet();
        return longest;
    }

    /** Gives slot {@code s} to {@code h}; the slot stays idle when this throws (everything that can fail comes first). */
    private void start(Slot s, RequestHandle h, int prefix) {
        GenerationRequest r = h.request;
        if (s.cache == null) {
            s.cache = model.newCache(contextPerSlot);
        }
        Sampler sampler = new Sampler(r.sampling());
        int[] history = Arrays.copyOf(r.prompt(), r.prompt().length + r.maxTokens() + 1); // ≤ context + 1: checked at submit
        int[] generated = new int[r.maxTokens()];
        int reuse = Math.min(prefix, r.prompt().length - 1); // feed at least one token to get logits
        s.cache.truncate(reuse);
        s.cachedAdapter = r.adapter();
        s.handle = h;
        s.sampler = sampler;
        s.promptPos = reuse;
        s.reused = reuse;
        s.history = history;
        s.historyLen = r.prompt().length;
        s.generated = generated;
        s.generatedLen = 0;
        s.clearFeed();
        s.startNanos = System.nanoTime();
        s.firstTokenNanos = 0;
        active.incrementAndGet();
        stats.promptTokensReused.addAndGet(reuse);
        if (r.maxTokens() == 0) {
            finish(s, "length", null);
        }
    }

    /** Finishes cancelled requests; returns whether any slot is still busy. */
    private boolean dropCancelled() {
        boolean any = false;
        for (Slot s : slots) {
            if (s.idle()) {
                continue;
            }
            if (s.handle.cancelled || (closing && cancelOnClose)) {
                finish(s, "cancelled", null);
            } else {
                any = true;
            }
        }
        return any;
    }

    private void buildBatch(SequenceBatch batch, List<Slot> logitSlots) {
        int budget = stepTokens;
        int decoding = 0;
        for (Slot s : slots) {
            decoding += decodes(s) ? 1 : 0;
        }
        boolean anyDecoding = decoding > 0;
        for (Slot s : slots) {
            if (budget <= 0 || !decodes(s)) {
                continue;
            }
            decoding--;
            if (s.feedLen == 1 && s.feedPos == 0) {
                draft(s, budget - decoding - 1); // every other decoding slot keeps its one token in this step
            }
            // drafts are verified all in this step (their rows' logits are compared at once); forced tokens may span steps
            int n = s.drafts > 0 ? s.feedLen : Math.min(budget, s.feedLen - s.feedPos);
            int firstLogits = s.drafts > 0 ? 0 : s.feedLen - 1;
            for (int j = 0; j < n; j++) {
                int idx = s.feedPos + j;
                s.recordFed(s.cache.length() + countInBatch(batch, s), s.feed[idx]);
                batch.add(s.cache, s.feed[idx], idx >= firstLogits, s.handle.request.adapter());
            }
            s.feedPos += n;
            if (!s.hasFeed()) {
                logitSlots.add(s);
            }
            budget -= n;
        }
        // prompts first come, first served; while any other sequence waits on this step (decoding, or another prompt),
        // at most prefillChunk prompt tokens a step; a lone prompt on an idle engine takes the whole step
        prefilling.clear();
        for (Slot s : slots) {
            if (s.inPrompt()) {
                prefilling.add(s);
            }
        }
        int promptBudget = anyDecoding || prefilling.size() > 1 ? Math.min(budget, options.prefillChunk()) : budget;
        prefilling.sort((a, b) -> Long.compare(a.handle.order, b.handle.order));
        for (Slot s : prefilling) {
            if (promptBudget <= 0) {
                break;
            }
            int[] prompt = s.handle.request.prompt();
            int n = Math.min(promptBudget, prompt.length - s.promptPos);
            for (int i = 0; i < n; i++) {
                boolean last = s.promptPos + 1 == prompt.length;
                s.recordFed(s.cache.length() + countInBatch(batch, s), prompt[s.promptPos]);
                batch.add(s.cache, prompt[s.promptPos], last, s.handle.request.adapter());
                if (last) {
                    logitSlots.add(s);
                }
                s.promptPos++;
            }
            stats.promptTokens.addAndGet(n);
            promptBudget -= n;
        }
    }

    private static boolean decodes(Slot s) {
        return !s.idle() && !s.inPrompt() && s.hasFeed();
    }

    /**
     * Speculative decoding: appends draft tokens after the slot's sampled token, at most {@code room} (the step's
     * budget left), and never more than the request may still generate or its context holds. Only greedy requests:
     * there, keeping the drafts the model's own argmax agrees with gives exactly the non-speculative output.
     */
    private void draft(Slot s, int room) {
        Drafter d = options.drafter();
        GenerationRequest r = s.handle.request;
        if (d == null || !r.sampling().isGreedy()) {
            return;
        }
        int max = Math.min(Math.min(options.draftMax(), room), Math.min(r.maxTokens() - s.generatedLen - 1, contextPerSlot - s.cache.length() - 1));
        if (max < Math.max(1, options.draftMin())) {
            return;
        }
        int n;
        try {
            n = d.draft(s.id, s.history, s.historyLen, max, draftBuffer);
        } catch (RuntimeException e) { // a failing drafter costs speed, never the request
            return;
        }
        if (n >= Math.max(1, options.draftMin())) {
            s.setFeed(s.feed[0], draftBuffer, n, n);
            stats.draftTokens.addAndGet(n);
        }
    }

    private static int countInBatch(SequenceBatch batch, Slot s) {
        int n = 0;
        for (int i = 0; i < batch.size(); i++) {
            n += batch.cache(i) == s.cache ? 1 : 0;
        }
        return n;
    }

    private void afterStep(SequenceBatch batch, List<Slot> logitSlots, float[] logits) {
        int vocab = model.config().vocab();
        // logit rows follow batch order; group them by slot (a slot verifying drafts has one row per fed token)
        List<Slot> owners = new ArrayList<>();
        List<List<float[]>> rows = new ArrayList<>();
        int row = 0;
        for (int i = 0; i < batch.size(); i++) {
            if (!batch.wantsLogits(i)) {
                continue;
            }
            Slot s = slotOf(batch.cache(i));
            float[] rowLogits = Arrays.copyOfRange(logits, row * vocab, (row + 1) * vocab);
            row++;
            if (s == null || s.idle()) {
                continue;
            }
            int k = owners.indexOf(s);
            if (k < 0) {
                owners.add(s);
                rows.add(new ArrayList<>());
                k = owners.size() - 1;
            }
            rows.get(k).add(rowLogits);
        }
        // Unconstrained sampling is independent per sequence (own sampler and history): run it on the pool,
        // so a full-vocabulary softmax per sequence does not serialize a batched step. Constrained sampling,
        // draft verification and listeners stay on this thread, in batch order.
        int[] sampled = new int[owners.size()];
        Arrays.fill(sampled, -1);
        Throwable[] failed = new Throwable[owners.size()];
        if (owners.size() > 1) {
            pool.parallelFor(owners.size(), i -> {
                Slot s = owners.get(i);
                try {
                    if (s.handle.request.constraint() == null && s.drafts == 0) {
                        sampled[i] = s.sampler.sample(rows.get(i).get(0), 0, vocab, s.history, s.historyLen);
                    }
                } catch (Throwable t) {
                    failed[i] = t;
                }
            });
        }
        for (int i = 0; i < owners.size(); i++) {
            Slot s = owners.get(i);
            try {
                if (failed[i] != null) {
                    throw failed[i];
                }
                if (s.drafts > 0) {
                    verify(s, rows.get(i));
                } else {
                    int token = onLogits(s, rows.get(i).get(0), sampled[i]);
                    if (token >= 0) {
                        continueWith(s, token);
                    }
                }
            } catch (Throwable t) { // a sampler, constraint or listener failure ends this request only
                if (!s.idle()) {
                    stats.failedRequests.incrementAndGet();
                    finish(s, "error", t);
                }
            }
        }
    }

    /**
     * Verifies a slot's drafts: row i holds the model's logits after the sampled token and drafts 1..i; tokens are
     * sampled from the rows in order, exactly as without drafts, while each matches the next draft. The KV cache is
     * rolled back past the first rejected draft (its keys/values were computed on a token that is not in the output).
     */
    private void verify(Slot s, List<float[]> rows) {
        int d = s.drafts;
        int base = s.cache.length() - (d + 1); // positions of the fed [sampled, draft 1..d]
        int[] fed = Arrays.copyOf(s.feed, s.feedLen);
        int i = 0;
        int token = -1;
        for (; i <= d; i++) {
            token = onLogits(s, rows.get(i), -1);
            if (token < 0 || i == d || token != fed[i + 1]) {
                break;
            }
            stats.draftAccepted.incrementAndGet();
        }
        s.cache.truncate(base + i + 1);
        if (token >= 0) {
            continueWith(s, token);
        }
    }

    /**
     * Queues {@code token} to be fed next step; under a constraint with jump-forward, the tokens the grammar forces
     * after it are emitted now and fed in the same step (one forward for all of them), and a complete document ends
     * with the end token without another forward (the constraint allows nothing else there).
     */
    private void continueWith(Slot s, int token) {
        GenerationRequest r = s.handle.request;
        if (!options.jumpForward() || r.constraint() == null) {
            s.setFeed(token, NO_TOKENS, 0, 0);
            return;
        }
        int[] forced = r.constraint().forcedTokens();
        for (int f : forced) {
            r.constraint().accept(f);
            stats.jumpForwardTokens.incrementAndGet();
            if (!emit(s, f, null)) {
                return;
            }
        }
        if (r.constraint().complete()) {
            if (!emit(s, r.endToken(), null)) {
                return;
            }
            s.setFeed(r.endToken(), NO_TOKENS, 0, 0); // an end token that does not end generation: go on as without jumps
            return;
        }
        s.setFeed(token, forced, forced.length, 0);
    }

    private static final int[] NO_TOKENS = new int[0];

    private Slot slotOf(Object cache) {
        for (Slot s : slots) {
            if (s.cache == cache) {
                return s;
            }
        }
        return null;
    }

    /**
     * Draws the next token and emits it.
     *
     * @param presampled the token already drawn for an unconstrained request, or −1
     * @return the token when the request goes on, −1 when it finished
     */
    private int onLogits(Slot s, float[] logits, int presampled) {
        GenerationRequest r = s.handle.request;
        int token;
        if (presampled >= 0) {
            token = presampled;
        } else if (r.constraint() != null) {
            token = ConstrainedSampling.sample(s.sampler, logits, s.history, s.historyLen, r.constraint(), r.endToken(), r.isEndOfGeneration());
            r.constraint().accept(token);
        } else {
            token = s.sampler.sample(logits, 0, logits.length, s.history, s.historyLen);
        }
        return emit(s, token, logits) ? token : -1;
    }

    /**
     * Records {@code token} as generated and hands it to the listener.
     *
     * @param logits the distribution it was drawn from, or null for a token the grammar forced
     * @return false when the request finished (end token, listener stop, max tokens)
     */
    private boolean emit(Slot s, int token, float[] logits) {
        GenerationRequest r = s.handle.request;
        if (s.firstTokenNanos == 0) {
            s.firstTokenNanos = System.nanoTime();
            stats.recordFirstToken(s.firstTokenNanos - s.handle.submittedNanos);
        }
        s.history[s.historyLen++] = token;
        s.generated[s.generatedLen++] = token;
        stats.generatedTokens.incrementAndGet();
        boolean keep = r.listener() == null || r.listener().onToken(token, logits); // a throw fails this request (afterStep)
        if (r.isEndOfGeneration().test(token) || !keep) {
            finish(s, "stop", null);
            return false;
        }
        if (s.generatedLen >= r.maxTokens()) {
            finish(s, "length", null);
            return false;
        }
        return true;
    }

    private void finish(Slot s, String reason, Throwable error) {
        RequestHandle h = s.handle;
        long now = System.nanoTime();
        GenerationResult res = new GenerationResult(s.generated == null ? new int[0] : Arrays.copyOf(s.generated, s.generatedLen), reason,
                h.request.prompt().length, s.reused, s.startNanos - h.submittedNanos,
                s.firstTokenNanos == 0 ? 0 : s.firstTokenNanos - h.submittedNanos, now - h.submittedNanos, error);
        s.handle = null;
        s.sampler = null;
        s.clearFeed();
        s.lastUsedNanos = now;
        active.decrementAndGet();
        stats.finished.incrementAndGet();
        if (error != null) {
            h.result.completeExceptionally(error);
        } else {
            h.result.complete(res);
        }
    }

    /** Fails every request holding a slot after a failed step; never throws (the loop must go on). */
    private void failAll(Throwable t) {
        for (Slot s : slots) {
            if (s.idle()) {
                continue;
            }
            RequestHandle h = s.handle;
            stats.failedRequests.incrementAndGet();
            try {
                resetCache(s); // cache state is unknown after a failed step
                finish(s, "error", t);
            } catch (Throwable again) {
                if (s.handle != null) { // finish did not get as far as freeing the slot
                    s.handle = null;
                    active.decrementAndGet();
                }
                h.result.completeExceptionally(t);
            }
        }
    }

    /**
     * Stops accepting requests; in-flight ones finish (or are cancelled when {@code cancelInFlight}),
     * waiting at most {@code timeoutMillis}.
     */
    public void shutdown(boolean cancelInFlight, long timeoutMillis) throws InterruptedException {
        cancelOnClose = cancelInFlight;
        closing = true;
        LockSupport.unpark(thread);
        thread.join(Math.max(1, timeoutMillis));
        if (thread.isAlive()) {
            cancelOnClose = true;
            thread.join(5_000);
        }
    }

    @Override
    public void close() {
        try {
            shutdown(true, 5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
