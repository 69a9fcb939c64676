package dev.smelt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.classify.Abstention;
import dev.smelt.model.classify.LabeledTexts;
import dev.smelt.model.classify.LogisticTrainer;
import dev.smelt.model.classify.SoftmaxClassifier;
import dev.smelt.model.classify.TextClassifier;
import dev.smelt.model.encoder.BertEmbedder;
import dev.smelt.model.encoder.Embedders;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code smelt classify-train} and {@code smelt classify}: a softmax head over a frozen encoder. */
final class ClassifyCommands {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ClassifyCommands() {
    }

    static float[][] embedAll(BertEmbedder e, List<String> texts, String label) {
        Progress p = new Progress(System.err, label, texts.size());
        float[][] out = new float[texts.size()][];
        for (int i = 0; i < texts.size(); i += BertEmbedder.BATCH) {
            int end = Math.min(texts.size(), i + BertEmbedder.BATCH);
            float[][] v = e.embed(texts.subList(i, end));
            System.arraycopy(v, 0, out, i, v.length);
            p.update(end, end + "/" + texts.size());
        }
        return out;
    }

    @Command(name = "classify-train", description = "Train a text classifier: fine-tune an encoder with a calibrated softmax head (or a head on frozen embeddings).")
    static final class Train implements Callable<Integer> {
        @Option(names = {"-m", "--model"}, defaultValue = Embedders.DEFAULT, description = "Encoder (default ${DEFAULT-VALUE}).")
        String model;

        @Option(names = "--data", required = true, description = "Training data, .csv (header row) or .jsonl.")
        Path data;

        @Option(names = "--text-column", defaultValue = "text")
        String textColumn;

        @Option(names = "--label-column", defaultValue = "label")
        String labelColumn;

        @Option(names = "--out", required = true, description = "Output directory (classifier.json).")
        Path out;

        @Option(names = "--test", description = "Optional held-out data (same columns): its accuracy is reported and stored.")
        Path test;

        @Option(names = "--val-fraction", defaultValue = "0.1")
        double valFraction;

        @Option(names = "--method", defaultValue = "auto",
                description = "auto (default): head below 40 training examples per class, else full; full: fine-tune every encoder weight with "
                        + "the head; head: a head on frozen embeddings (fast; wins few-shot, see docs/BENCHMARKS.md).")
        String method;

        @Option(names = "--epochs", description = "Most epochs (default: full 4, head 200; early stopping may end sooner).")
        Integer epochs;

        @Option(names = "--patience", description = "Epochs without a lower validation loss before stopping; the lowest-loss epoch is kept (default: full 2, head 8).")
        Integer patience;

        @Option(names = "--lr", description = "Peak learning rate (default: full 1e-4 with warm-up and linear decay, head 3e-3).")
        Double lr;

        @Option(names = "--batch-size", defaultValue = "32", description = "Sequences per step (full fine-tuning).")
        int batchSize;

        @Option(names = "--dropout", defaultValue = "0.1", description = "Hidden dropout while fine-tuning (BERT's 0.1).")
        float dropout;

        @Option(names = "--l2", defaultValue = "1e-4")
        double l2;

        @Option(names = "--seed", defaultValue = "42")
        long seed;

        @Option(names = "--oos-threshold",
                description = "Answer 'unknown' when the top probability is below this (in [0, 1)). Default: no abstention, unless the data has an out-of-scope label.")
        Double threshold;

        @Option(names = "--abstain-rate",
                description = "Answer 'unknown' for this share of validation queries (the least confident ones), in (0, 1).")
        Double abstainRate;

        @Option(names = "--oos-label",
                description = "Label of out-of-scope examples: not trained as a class; the threshold is fitted on them. Default: a label named "
                        + "oos, out_of_scope or other, when the data has one.")
        String oosLabel;

        @Option(names = {"-t", "--threads"})
        Integer threads;

        /**
         * Examples per class from which {@code --method auto} fine-tunes the encoder: below it the frozen-embedding
         * head won on Banking77 (10 and 30 per intent), above it full fine-tuning did (the full set, ~130 per intent).
         */
        static final int AUTO_FULL_PER_CLASS = 40;

        static double perClass(LabeledTexts train, Abstention ab) {
            long in = train.labels().stream().filter(l -> !ab.isOos(l)).count();
            long classes = train.labels().stream().filter(l -> !ab.isOos(l)).distinct().count();
            return classes == 0 ? 0 : (double) in / classes;
        }

        static String autoMethod(LabeledTexts train, Abstention ab) {
            return perClass(train, ab) < AUTO_FULL_PER_CLASS ? "head" : "full";
        }

        /** The abstention of this run: asked for by the options, or learnable from the data's labels. */
        Abstention abstention(LabeledTexts train) {
            if (threshold != null && !(threshold >= 0 && threshold < 1)) {
                throw new IllegalArgumentException("--oos-threshold must be a number in [0, 1), got " + threshold);
            }
            if (abstainRate != null && !(abstainRate > 0 && abstainRate < 1)) {
                throw new IllegalArgumentException("--abstain-rate must be in (0, 1), got " + abstainRate);
            }
            return Abstention.resolve(train.labels(), oosLabel, threshold, abstainRate);
        }

        @Override
        public Integer call() throws Exception {
            if (!method.equals("full") && !method.equals("head") && !method.equals("auto")) {
                throw new IllegalArgumentException("--method must be auto, full or head, got '" + method + "'");
            }
            if (!(valFraction >= 0 && valFraction < 1)) {
                throw new IllegalArgumentException("--val-fraction must be in [0, 1), got " + valFraction);
            }
            LabeledTexts train = LabeledTexts.read(data, textColumn, labelColumn);
            Abstention ab = abstention(train);
            String method = this.method.equals("auto") ? autoMethod(train, ab) : this.method;
            if (this.method.equals("auto")) {
                System.err.println("classify-train: --method auto chose " + method + " (" + String.format(java.util.Locale.ROOT, "%.1f", perClass(train, ab))
                        + " examples per class; full from " + AUTO_FULL_PER_CLASS + ")");
            }
            if (method.equals("full")) {
                return FullFineTune.run(this, train, ab);
            }
            if (valFraction == 0) {
                throw new IllegalArgumentException("--val-fraction must be > 0 for the head method (early stopping and calibration need it)");
            }
            int epochs = this.epochs != null ? this.epochs : 200;
            LogisticTrainer.Options opt = new LogisticTrainer.Options(valFraction, epochs, patience != null ? patience : 8, 64,
                    lr != null ? lr : 3e-3, l2, seed, ab);
            LabeledTexts held = test == null ? null : LabeledTexts.read(test, textColumn, labelColumn);
            long t0 = System.nanoTime();
            int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
            LogisticTrainer.Fitted fitted;
            ObjectNode m;
            try (BertEmbedder e = Embedders.open(model, n)) {
                float[][] x = embedAll(e, train.texts(), "embedding " + data.getFileName());
                double embedSeconds = (System.nanoTime() - t0) / 1e9;
                Progress p = new Progress(System.err, "training head", epochs);
                fitted = new LogisticTrainer(opt, ep -> p.update(ep, "epoch " + ep)).fit(model, x, train.labels());
                p.update(epochs, "early stop");
                m = fitted.head().metrics();
                m.put("method", "head");
                m.put("encoder", model).put("embed_seconds", embedSeconds).put("total_train_seconds", (System.nanoTime() - t0) / 1e9);
            }
            SoftmaxClassifier head = fitted.head();
            fitted.distance().save(out);
            head.save(out);
            if (held != null) {
                testSaved(out, n, held, test, m, ab);
                head.save(out); // with the test metrics
            }
            System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m));
            return 0;
        }
    }

    /** Test metrics of the saved directory {@code dir}, loaded exactly as {@code smelt classify --model DIR} loads it. */
    static void testSaved(Path dir, int threads, LabeledTexts held, Path test, ObjectNode m, Abstention ab) throws java.io.IOException {
        try (TextClassifier c = TextClassifier.open(dir, threads)) {
            testMetrics(c, held, test, m, ab);
        }
    }

    /**
     * Test accuracy of classifier {@code c} into m: of the top label, and of the answer (with abstention: an
     * out-of-scope example is right when answered "unknown"); in-scope and out-of-scope parts separately.
     */
    static void testMetrics(TextClassifier c, LabeledTexts held, Path test, ObjectNode m, Abstention ab) {
        List<SoftmaxClassifier.Prediction> pr = predictAll(c, held.texts(), "classifying " + test.getFileName());
        int ok = 0;
        int answered = 0;
        int unknown = 0;
        int in = 0;
        int inOk = 0;
        int inUnknown = 0;
        int oosRejected = 0;
        for (int i = 0; i < pr.size(); i++) {
            SoftmaxClassifier.Prediction p = pr.get(i);
            String gold = held.labels().get(i);
            boolean oos = ab.isOos(gold);
            boolean unk = p.label().equals(SoftmaxClassifier.UNKNOWN);
            ok += c.bestLabel(p).equals(gold) ? 1 : 0;
            unknown += unk ? 1 : 0;
            answered += (oos ? unk : p.label().equals(gold)) ? 1 : 0;
            if (oos) {
                oosRejected += unk ? 1 : 0;
            } else {
                in++;
                inOk += p.label().equals(gold) ? 1 : 0;
                inUnknown += unk ? 1 : 0;
            }
        }
        m.put("test_examples", pr.size()).put("test_accuracy", (double) ok / pr.size())
                .put("test_accuracy_with_threshold", (double) answered / pr.size())
                .put("test_unknown_rate", (double) unknown / pr.size());
        if (in < pr.size()) {
            m.put("test_in_scope_examples", in).put("test_in_scope_accuracy", in == 0 ? Double.NaN : (double) inOk / in)
                    .put("test_in_scope_unknown_rate", in == 0 ? Double.NaN : (double) inUnknown / in)
                    .put("test_oos_examples", pr.size() - in).put("test_oos_recall", (double) oosRejected / (pr.size() - in));
        }
    }

    /** Predictions for every text, batch by batch with a progress bar. */
    static List<SoftmaxClassifier.Prediction> predictAll(TextClassifier c, List<String> texts, String label) {
        Progress p = new Progress(System.err, label, texts.size());
        List<SoftmaxClassifier.Prediction> out = new java.util.ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i += BertEmbedder.BATCH) {
            int end = Math.min(texts.size(), i + BertEmbedder.BATCH);
            out.addAll(c.predict(texts.subList(i, end)));
            p.update(end, end + "/" + texts.size());
        }
        return out;
    }

    @Command(name = "classify", description = "Classify texts: JSONL {\"text\": ...} on stdin, {\"label\", \"probability\"} per line on stdout. "
            + "label is the best label, or 'unknown' when the classifier abstains (only when trained with an out-of-scope label, "
            + "--oos-threshold or --abstain-rate); raw_label is always the best label (as in /v1/classify).")
    static final class Classify implements Callable<Integer> {
        @Option(names = {"-m", "--model"}, required = true, description = "Directory written by classify-train.")
        Path model;

        @Option(names = "--top-k", defaultValue = "0", description = "Also list the k most likely labels.")
        int topK;

        @Option(names = "--raw", description = "Never abstain: label is the best label even below the classifier's threshold.")
        boolean raw;

        @Option(names = {"-t", "--threads"})
        Integer threads;

        @Override
        public Integer call() throws Exception {
            if (topK < 0) {
                throw new IllegalArgumentException("--top-k must be >= 0, got " + topK);
            }
            int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
            try (TextClassifier c = TextClassifier.open(model, n)) {
                JsonlTexts in = new JsonlTexts(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), "stdin");
                Writer out = new OutputStreamWriter(System.out, StandardCharsets.UTF_8);
                for (List<String> chunk = in.next(BertEmbedder.BATCH); !chunk.isEmpty(); chunk = in.next(BertEmbedder.BATCH)) {
                    for (SoftmaxClassifier.Prediction p : c.predict(chunk)) {
                        out.write(line(c, p, topK, raw));
                        out.write('\n');
                    }
                    out.flush();
                }
            }
            return 0;
        }
    }

    static String line(TextClassifier c, SoftmaxClassifier.Prediction p, int topK, boolean raw) {
        String best = c.bestLabel(p);
        ObjectNode o = JSON.createObjectNode().put("label", raw ? best : p.label()).put("probability", p.probability()).put("raw_label", best);
        if (!Double.isNaN(p.distanceConfidence())) {
            o.put("distance_confidence", p.distanceConfidence());
        }
        if (topK > 0) {
            ArrayNode top = o.putArray("top");
            for (TextClassifier.Ranked r : c.top(p, topK)) {
                top.addObject().put("label", r.label()).put("probability", r.probability());
            }
        }
        return o.toString();
    }

}
