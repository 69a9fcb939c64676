package dev.smelt.train.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Loads a JSONL training file into {@link TokenizedExample}s (see {@link JsonlExamples} for the
 * formats and {@link ChatFormat} for templating and the loss mask), applies the length policy, and
 * splits off a validation set. Stateless, thread-safe.
 */
public final class TrainingData {
    /** What to do with an example longer than the limit. */
    public enum Overflow {
        /** Refuse the data set, naming the example (the default: nothing is silently lost). */
        ERROR,
        /** Keep the first maxSeqLen tokens (an example with no scored token left is still an error). */
        TRUNCATE
    }

    /**
     * @param maxSeqLen longest example in tokens, or 0 for no limit
     * @param overflow  policy for longer ones
     */
    public record Options(int maxSeqLen, Overflow overflow) {
        public Options {
            if (maxSeqLen < 0) {
                throw new IllegalArgumentException("max sequence length must be >= 0 (0 = no limit), got " + maxSeqLen);
            }
            if (overflow == null) {
                throw new IllegalArgumentException("overflow policy is required");
            }
        }

        public static Options unlimited() {
            return new Options(0, Overflow.ERROR);
        }
    }

    /** The examples of a file and what conversion saw. */
    public record Loaded(List<TokenizedExample> examples, ChatFormat.Stats stats) {
        public long tokens() {
            return examples.stream().mapToLong(e -> e.tokens().length).sum();
        }

        public long targets() {
            return examples.stream().mapToLong(TokenizedExample::targetCount).sum();
        }
    }

    /** A train/validation split. */
    public record Split(List<TokenizedExample> train, List<TokenizedExample> validation) {
    }

    private TrainingData() {
    }

    /** How many examples a warning names by {@code file:line} before it only counts. */
    static final int NAMED_IN_WARNING = 5;

    /** Reads, renders and tokenizes every line of {@code file}; warnings are dropped. */
    public static Loaded load(Path file, ChatFormat format, Options options) throws IOException {
        return load(file, format, options, w -> { });
    }

    /**
     * Reads, renders and tokenizes every line of {@code file}. Examples with nothing to learn (an empty
     * completion, empty prompt and completion, empty text) are skipped; they and examples cut to the length
     * limit are reported to {@code warnings}, naming the first few by {@code file:line}.
     *
     * @throws DataException when no example is left to train on
     */
    public static Loaded load(Path file, ChatFormat format, Options options, Consumer<String> warnings) throws IOException {
        ChatFormat.Stats stats = new ChatFormat.Stats();
        List<TokenizedExample> out = new ArrayList<>();
        List<String> empty = new ArrayList<>();
        List<String> cut = new ArrayList<>();
        List<RawExample> raw = JsonlExamples.read(file);
        for (RawExample r : raw) {
            String why = emptyReason(r);
            if (why != null) {
                empty.add(r.source() + " (" + why + ")");
                continue;
            }
            int before = stats.truncated;
            out.add(limit(format.tokenize(r, stats), options, stats));
            if (stats.truncated > before) {
                cut.add(r.source());
            }
        }
        if (!empty.isEmpty()) {
            warnings.accept(file + ": skipped " + empty.size() + " of " + raw.size() + " examples with nothing to learn: " + named(empty));
        }
        if (!cut.isEmpty()) {
            warnings.accept(file + ": " + cut.size() + " examples were cut to " + options.maxSeqLen()
                    + " tokens (the micro-batch, --batch-tokens); their ends are not trained: " + named(cut));
        }
        if (out.isEmpty()) {
            throw new DataException(file.toString(), "nothing to train on: all " + raw.size() + " examples are empty ("
                    + named(empty) + ")");
        }
        return new Loaded(List.copyOf(out), stats);
    }

    /** Why {@code r} has nothing to learn, or null when it has. */
    static String emptyReason(RawExample r) {
        return switch (r) {
            case RawExample.Text t when t.text().isEmpty() -> "empty text";
            case RawExample.PromptCompletion pc when pc.prompt().isEmpty() && pc.completion().isEmpty() -> "empty prompt and completion";
            case RawExample.PromptCompletion pc when pc.completion().isEmpty() -> "empty completion";
            default -> null;
        };
    }

    private static String named(List<String> sources) {
        String shown = String.join(", ", sources.subList(0, Math.min(NAMED_IN_WARNING, sources.size())));
        return sources.size() > NAMED_IN_WARNING ? shown + " and " + (sources.size() - NAMED_IN_WARNING) + " more" : shown;
    }

    /**
     * What {@code smelt finetune} needs: the training file, and validation from {@code valFile} when
     * given, else {@code valFraction} of the training examples held out with {@code seed}.
     *
     * @param valFile     validation JSONL or null
     * @param valFraction in [0, 1); ignored when valFile is given
     */
    public static Split prepare(Path trainFile, Path valFile, double valFraction, long seed, ChatFormat format, Options options)
            throws IOException {
        return prepare(trainFile, valFile, valFraction, seed, format, options, w -> { });
    }

    /** As {@link #prepare(Path, Path, double, long, ChatFormat, Options)}, reporting skipped and cut examples. */
    public static Split prepare(Path trainFile, Path valFile, double valFraction, long seed, ChatFormat format, Options options,
                                Consumer<String> warnings) throws IOException {
        Loaded train = load(trainFile, format, options, warnings);
        if (valFile != null) {
            return new Split(train.examples(), load(valFile, format, options, warnings).examples());
        }
        return split(train.examples(), valFraction, seed);
    }

    static TokenizedExample limit(TokenizedExample e, Options o, ChatFormat.Stats stats) {
        int n = e.tokens().length;
        if (o.maxSeqLen() == 0 || n <= o.maxSeqLen()) {
            return e;
        }
        if (o.overflow() == Overflow.ERROR) {
            throw new DataException(e.source(), "example has " + n + " tokens, more than the limit of " + o.maxSeqLen()
                    + " (raise --max-seq-len or allow truncation)");
        }
        TokenizedExample t = e.prefix(o.maxSeqLen());
        if (t.targetCount() == 0) {
            throw new DataException(e.source(), "nothing to train on after truncation to " + o.maxSeqLen()
                    + " tokens: the prompt alone fills them (" + n + " tokens in all)");
        }
        if (stats != null) {
            stats.truncated++;
        }
        return t;
    }

    /**
     * Holds out {@code fraction} of the examples (at least one when fraction > 0), chosen by a seeded
     * shuffle; both parts keep the file order.
     */
    public static Split split(List<TokenizedExample> all, double fraction, long seed) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + fraction);
        }
        int n = all.size();
        int k = fraction == 0 ? 0 : Math.max(1, (int) Math.round(fraction * n));
        if (k >= n && k > 0) {
            throw new IllegalArgumentException("a validation fraction of " + fraction + " leaves no training examples out of " + n);
        }
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        List<Integer> order = new ArrayList<>(Arrays.asList(idx));
        java.util.Collections.shuffle(order, new Random(seed));
        boolean[] val = new boolean[n];
        for (int i = 0; i < k; i++) {
            val[order.get(i)] = true;
        }
        List<TokenizedExample> train = new ArrayList<>();
        List<TokenizedExample> v = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            (val[i] ? v : train).add(all.get(i));
        }
        return new Split(List.copyOf(train), List.copyOf(v));
    }
}
