package dev.smelt.cli;

import dev.smelt.model.KvCache;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.arch.Models;
import dev.smelt.model.safetensors.SafetensorsWriter;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Utf8Assembler;
import dev.smelt.runtime.Generator;
import dev.smelt.runtime.sampling.Sampler;
import dev.smelt.runtime.sampling.SamplerConfig;
import dev.smelt.tensor.ThreadPool;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code smelt run MODEL -p TEXT}: generate a continuation, streamed to stdout. */
@Command(name = "run", description = "Generate text from a prompt (streams to stdout).")
final class RunCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    ModelArgument model;

    @Option(names = {"-p", "--prompt"}, description = "Prompt text (BOS added as the model specifies).")
    String prompt;

    @Option(names = "--prompt-ids", split = ",", description = "Prompt as token ids (comma-separated) instead of text.")
    int[] promptIds;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "128", description = "Tokens to generate (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--print-ids", description = "Print only the generated token ids, whitespace-separated.")
    boolean printIds;

    @Option(names = "--dump-logits", description = "Write tensor 'logits' F32 [prompt + generated, vocab] to this safetensors file.")
    Path dumpLogits;

    @Option(names = "--ignore-eos", description = "Keep generating past end-of-generation tokens.")
    boolean ignoreEos;

    @Option(names = "--stop", description = "Stop when the output contains this text (repeatable); the stop text is not printed.")
    java.util.List<String> stops = new java.util.ArrayList<>();

    @Mixin
    SamplingOptions sampling;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    LoraOptions loraOptions;

    @Mixin
    SpeculativeOptions speculative;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (maxTokens < 0) {
            throw new IllegalArgumentException("-n/--max-tokens must be >= 0, got " + maxTokens);
        }
        if (dumpLogits != null && (speculative.draft != null || speculative.lookup)) {
            throw new IllegalArgumentException("--dump-logits cannot be combined with --draft or --lookup");
        }
        if ((prompt == null) == (promptIds == null)) {
            throw new IllegalArgumentException("give exactly one of -p TEXT or --prompt-ids 1,2,3");
        }
        SamplerConfig sc = storedDefaults();
        try (DecoderModel m = Models.load(model.resolve()); ThreadPool pool = modelOptions.newPool()) {
            loraOptions.applyTo(m);
            ModelRefs.applyStoredAdapter(model.ref(), m);
            Tokenizer tok = prompt != null || !printIds ? TextModels.tokenizer(m.file()) : null;
            int[] ids = prompt != null ? tok.encode(prompt, true, false) : promptIds;
            if (ids.length == 0) {
                throw new IllegalArgumentException("the prompt is empty");
            }
            KvCache cache = m.newCache(modelOptions.contextFor(m.config().contextLength()));
            if ((long) ids.length + maxTokens > cache.capacity()) { // long: -n may be Integer.MAX_VALUE
                throw new IllegalArgumentException("prompt (" + ids.length + " tokens) + max tokens (" + maxTokens
                        + ") exceed the context of " + cache.capacity() + " tokens; raise --ctx");
            }
            int vocab = m.config().vocab();
            if (dumpLogits != null && (long) ids.length + maxTokens + 1 > cache.capacity()) {
                throw new IllegalArgumentException("--dump-logits needs prompt + max tokens + 1 <= context " + cache.capacity());
            }
            long logitFloats = (long) (ids.length + maxTokens) * vocab;
            if (dumpLogits != null && logitFloats > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("--dump-logits of " + (ids.length + maxTokens) + " rows x " + vocab
                        + " tokens exceeds one Java array (2^31 floats); lower -n");
            }
            float[] logits = dumpLogits != null ? new float[(int) logitFloats] : null;
            Generator g = new Generator(m, pool);
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            int[] count = {0};
            Utf8Printer text = new Utf8Printer(out);
            Generator.Result r;
            if (logits != null) {
                r = generateWithLogits(m, g, ids, cache, new Sampler(sc), logits, vocab, tok, out, text);
            } else {
                StopText stop = new StopText(stops);
                Generator.TokenListener listener = (t, l) -> {
                    if (printIds || stops.isEmpty()) {
                        emit(t, tok, out, text, count[0]++ == 0);
                        return true;
                    }
                    text.write(stop.push(TextModels.visibleBytes(tok, t)));
                    return !stop.stopped();
                };
                java.util.function.IntPredicate end = t -> !ignoreEos && isEnd(m, tok, t);
                r = speculative.draft != null || speculative.lookup
                        ? Speculation.generate(m, pool, ids, sc, maxTokens, cache.capacity(), end, listener, speculative.toConfig(false))
                        : g.generate(ids, cache, new Sampler(sc), maxTokens, end, listener);
                if (!printIds && !stops.isEmpty() && !stop.stopped()) {
                    text.write(stop.flush());
                }
            }
            text.flush();
            out.println();
            if (dumpLogits != null) {
                int rows = ids.length + r.tokens().length;
                new SafetensorsWriter().metadata("prompt_tokens", Integer.toString(ids.length))
                        .f32("logits", new long[] {rows, vocab}, Arrays.copyOf(logits, rows * vocab)).write(dumpLogits);
            }
            System.err.printf("%d prompt tokens, %d generated; prompt %.1f tokens/s, decode %s (%s)%n", ids.length,
                    r.tokens().length, ids.length / (r.promptNanos() / 1e9), decodeRate(r.tokens().length, r.decodeNanos()), r.reason());
        }
        return 0;
    }

    /**
     * The sampling config, with a stored model's Modelfile PARAMETERs (and num_predict, stop) as defaults that
     * flags override, as the server applies them. run has no chat template, so the Modelfile's SYSTEM is not used.
     */
    private SamplerConfig storedDefaults() throws java.io.IOException {
        dev.smelt.model.store.StoredModel st = ModelRefs.stored(model.ref());
        if (st == null) {
            return sampling.toConfig();
        }
        java.util.function.Predicate<String> given = spec.commandLine().getParseResult()::hasMatchedOption;
        ChatSettings s = new ChatSettings(sampling.toConfig(), Math.max(1, maxTokens));
        StoredParameters.apply(st.parameters(), given, s);
        if (!given.test("--max-tokens")) {
            maxTokens = s.maxTokens();
        }
        if (!given.test("--stop")) {
            stops.addAll(StoredParameters.stops(st.parameters()));
        }
        return s.config();
    }

    /** Decode speed over the tokens decoded after the first (which the prompt pass yields); n/a when there are none. */
    static String decodeRate(int generated, long decodeNanos) {
        if (generated < 2 || decodeNanos <= 0) {
            return "n/a (" + generated + (generated == 1 ? " token)" : " tokens)");
        }
        return String.format(java.util.Locale.ROOT, "%.1f tokens/s", (generated - 1) / (decodeNanos / 1e9));
    }

    private boolean isEnd(DecoderModel m, Tokenizer tok, int t) {
        return tok != null ? tok.isEndOfGeneration(t) : t == m.file().getInt("tokenizer.ggml.eos_token_id", -1);
    }

    private void emit(int t, Tokenizer tok, PrintStream out, Utf8Printer text, boolean first) {
        if (printIds) {
            out.print((first ? "" : " ") + t);
            out.flush();
        } else {
            text.write(TextModels.visibleBytes(tok, t));
        }
    }

    /** Like Generator.generate, also recording the logits of every prompt and generated position. */
    private Generator.Result generateWithLogits(DecoderModel m, Generator g, int[] ids, KvCache cache, Sampler sampler,
                                                float[] logits, int vocab, Tokenizer tok, PrintStream out, Utf8Printer text) {
        long t0 = System.nanoTime();
        float[] last = g.prefill(ids, cache, logits);
        long t1 = System.nanoTime();
        int[] history = Arrays.copyOf(ids, ids.length + maxTokens);
        int len = ids.length;
        int[] gen = new int[maxTokens];
        int n = 0;
        Generator.StopReason reason = Generator.StopReason.MAX_TOKENS;
        while (n < maxTokens) {
            int t = sampler.sample(last, 0, vocab, history, len);
            emit(t, tok, out, text, n == 0);
            history[len++] = t;
            gen[n++] = t;
            // every generated token gets its row too (row i = logits after token i)
            last = m.forward(g.pool(), new int[] {t}, 1, cache, false);
            System.arraycopy(last, 0, logits, (ids.length + n - 1) * vocab, vocab);
            if (!ignoreEos && isEnd(m, tok, t)) {
                reason = Generator.StopReason.END_OF_GENERATION;
                break;
            }
        }
        return new Generator.Result(Arrays.copyOf(gen, n), reason, t1 - t0, System.nanoTime() - t1);
    }

    /** Holds back output that could be the start of a stop text; stops at the first full match. Not thread-safe. */
    static final class StopText {
        private final java.util.List<byte[]> stops = new java.util.ArrayList<>();
        private final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();
        private boolean stopped;

        StopText(java.util.List<String> stops) {
            for (String s : stops) {
                if (!s.isEmpty()) {
                    this.stops.add(s.getBytes(StandardCharsets.UTF_8));
                }
            }
        }

        boolean stopped() {
            return stopped;
        }

        byte[] push(byte[] b) {
            pending.writeBytes(b);
            byte[] all = pending.toByteArray();
            for (int i = 0; i < all.length; i++) {
                for (byte[] s : stops) {
                    if (i + s.length <= all.length && java.util.Arrays.equals(all, i, i + s.length, s, 0, s.length)) {
                        stopped = true;
                        pending.reset();
                        return java.util.Arrays.copyOf(all, i);
                    }
                }
            }
            int hold = 0;
            for (byte[] s : stops) {
                for (int k = Math.min(s.length - 1, all.length); k > hold; k--) {
                    if (java.util.Arrays.equals(all, all.length - k, all.length, s, 0, k)) {
                        hold = k;
                        break;
                    }
                }
            }
            pending.reset();
            pending.write(all, all.length - hold, hold);
            return java.util.Arrays.copyOf(all, all.length - hold);
        }

        byte[] flush() {
            byte[] b = pending.toByteArray();
            pending.reset();
            return b;
        }
    }

    /** Writes token bytes to stdout without splitting UTF-8 characters. */
    static final class Utf8Printer {
        private final PrintStream out;
        private final Utf8Assembler utf8 = new Utf8Assembler();

        Utf8Printer(PrintStream out) {
            this.out = out;
        }

        void write(byte[] b) {
            out.print(utf8.push(b));
            out.flush();
        }

        void flush() {
            out.print(utf8.flush());
            out.flush();
        }
    }
}
