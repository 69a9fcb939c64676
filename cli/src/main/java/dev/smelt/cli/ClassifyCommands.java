package dev.smelt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.classify.Abstention;
import dev.smelt.model.classify.LabeledTexts;
import dev.smelt.model.classify.MultiLabelTexts;
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
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code smelt classify-train} and {@code smelt classify}: a softmax head over a frozen encoder. */
final class ClassifyCommands {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ClassifyCommands() {
    }

    @Command(name = "classify-train", description = "Train a text classifier: fine-tune an encoder with a calibrated softmax head (or a head on frozen embeddings).")
    static final class Train implements Callable<Integer> {
        @Option(names = {"-m", "--model"}, defaultValue = Embedders.DEFAULT, description = "Encoder (default ${DEFAULT-VALUE}).")
        String model;

        @Option(names = "--data", required = true, description = "Training data, .csv (header row) or .jsonl.")
        Path data;

        @Option(names = "--text-column", defaultValue = "text", description = "Column (CSV) or field (JSONL) holding the text (default ${DEFAULT-VALUE}).")
        String textColumn;

        @Option(names = "--label-column", defaultValue = "label", description = "Column or field holding the label (default ${DEFAULT-VALUE}).")
        String labelColumn;

        @Option(names = "--out", required = true, description = "Output directory (classifier.json).")
        Path out;

        @Option(names = "--test", description = "Optional held-out data (same columns): its accuracy is reported and stored.")
        Path test;

        @Option(names = "--val-fraction", defaultValue = "0.1",
                description = "Share of the training data held out (seeded) for early stopping and the threshold (default ${DEFAULT-VALUE}).")
        double valFraction;

        @Option(names = "--method", defaultValue = "auto",
                description = "auto (default): setfit below 15 training examples per class, head below 40, else full; full: fine-tune every encoder weight with "
                        + "the head; setfit: contrastive sentence pairs tune the encoder, then the head on its embeddings; head: a head on frozen "
                        + "embeddings (fast). Multi-label data: head or full (auto: head below 40 examples per label, else full). See docs/BENCHMARKS.md.")
        String method;

        @Option(names = "--pairs",
                description = "setfit: contrastive pairs each training example starts, alternately positive and negative (default "
                        + SetFitTraining.DEFAULT_PAIRS + ", more for small data: enough for " + SetFitTraining.MIN_STEPS + " steps, at most 40).")
        Integer pairs;

        @Option(names = "--epochs", description = "Most epochs (default: full 4, head 200, setfit 1 pass over the pairs; multi-label: full 40, head 1000; "
                + "early stopping may end sooner).")
        Integer epochs;

        @Option(names = "--patience", description = "Epochs without a lower validation loss before stopping; the lowest-loss epoch is kept (default: full 2, head 8; multi-label: full none, head 50).")
        Integer patience;

        @Option(names = "--lr", description = "Peak learning rate (default: full 1e-4 with warm-up and linear decay, head 3e-3, "
                + "setfit's pair stage " + SetFitTraining.DEFAULT_LR + "; multi-label head 0.03).")
        Double lr;

        @Option(names = "--batch-size", defaultValue = "32", description = "Sequences per step (full fine-tuning; default ${DEFAULT-VALUE}).")
        int batchSize;

        @Option(names = "--dropout", defaultValue = "0.1", description = "Hidden dropout while fine-tuning (default ${DEFAULT-VALUE}, as BERT).")
        float dropout;

        @Option(names = "--l2", defaultValue = "1e-4", description = "L2 penalty on the head's weights (--method head; default ${DEFAULT-VALUE}).")
        double l2;

        @Option(names = "--seed", defaultValue = "42", description = "Seed of the split, the data order and dropout (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--oos-threshold",
                description = "Answer 'unknown' when the top probability is below this (in [0, 1)). Default: no abstention, unless the data has an out-of-scope label.")
        Double threshold;

        @Option(names = "--abstain-rate",
                description = "Answer 'unknown' for this share of validation queries (the least confident ones), in (0, 1). Default: none.")
        Double abstainRate;

        @Option(names = "--oos-label",
                description = "Label of out-of-scope examples: not trained as a class; the threshold is fitted on them. Default: a label named "
                        + "oos, out_of_scope or other, when the data has one.")
        String oosLabel;

        @Option(names = "--multi-label", negatable = true,
                description = "Multi-label data: each text has a set of labels (possibly empty); one sigmoid per label, binary cross-entropy "
                        + "(--method head or full). Default: detected from the data, on when a JSONL label field is a JSON array "
                        + "(e.g. [\"pin\", \"new\"]; [] is no label) or a label holds the separator; --no-multi-label reads every label as one class.")
        Boolean multiLabel;

        @Option(names = "--label-separator", defaultValue = MultiLabelTexts.DEFAULT_SEPARATOR,
                description = "Multi-label: separator of the labels in one CSV cell or JSONL string (default ${DEFAULT-VALUE}: \"pin|new\"; "
                        + "an empty cell is no label).")
        String labelSeparator;

        @Option(names = "--threshold",
                description = "Multi-label: a label is answered when its probability is at least this, in (0, 1), or 'fit' (default): the "
                        + "threshold (0.05-0.95) with the highest micro-F1 on the validation split, 0.5 without one. classifier.json records "
                        + "it and how it was set (threshold_source).")
        String multiThreshold;

        @Mixin
        ThreadsOption threads;

        /**
         * Examples per class from which {@code --method auto} fine-tunes the encoder with the head (full): below it
         * full fine-tuning lost or tied (Banking77 at 10 per intent: 74.1% vs 84.2% setfit; at 30: 88.5% vs 88.4% head)
         * at several times the cost; above it it won (Banking77 full set, ~130 per intent). See docs/BENCHMARKS.md.
         */
        static final int AUTO_FULL_PER_CLASS = 40;

        static double perClass(LabeledTexts train, Abstention ab) {
            long in = train.labels().stream().filter(l -> !ab.isOos(l)).count();
            long classes = train.labels().stream().filter(l -> !ab.isOos(l)).distinct().count();
            return classes == 0 ? 0 : (double) in / classes;
        }

        /**
         * Examples per class below which {@code --method auto} runs setfit: it won at 3–10 per class (Banking77 10,
         * SMS spam 10, NLU++) and lost to the head on the many-class sets with more (the 149-class set, 17.7 per class:
         * 81.75% vs 83.03%; Banking77 30: 87.50% vs 88.41%).
         */
        static final int AUTO_SETFIT_BELOW = 15;

        static String autoMethod(LabeledTexts train, Abstention ab) {
            double k = perClass(train, ab);
            return k < AUTO_SETFIT_BELOW ? "setfit" : k < AUTO_FULL_PER_CLASS ? "head" : "full";
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

        /** Multi-label training: head or full (setfit's same/different-label pairs do not apply to label sets), no abstention. */
        Integer trainMultiLabel(MultiLabelTexts train) throws Exception {
            if (method.equals("setfit")) {
                throw new IllegalArgumentException("--method setfit does not support multi-label data (its contrastive pairs need one label "
                        + "per text); use --method head or full, or --no-multi-label if each text has one label");
            }
            if (threshold != null || abstainRate != null || oosLabel != null) {
                throw new IllegalArgumentException("--oos-threshold, --abstain-rate and --oos-label are for single-label data; a multi-label "
                        + "classifier answers no label when none reaches --threshold");
            }
            if (pairs != null) {
                throw new IllegalArgumentException("--pairs is setfit's, which does not support multi-label data");
            }
            var th = dev.smelt.train.classify.MultiLabelTrainer.Threshold.parse(multiThreshold);
            String m = method.equals("auto") ? autoMultiLabelMethod(train) : method;
            System.err.println("classify-train: multi-label data (" + train.labelNames().size() + " labels, "
                    + String.format(java.util.Locale.ROOT, "%.1f", MultiLabelTraining.perLabel(train)) + " examples per label, "
                    + train.labels().stream().filter(List::isEmpty).count() + " texts with no label)"
                    + (method.equals("auto") ? "; --method auto chose " + m + " (full from " + AUTO_FULL_PER_LABEL + " per label)" : ""));
            if (m.equals("head") && valFraction == 0) {
                throw new IllegalArgumentException("--val-fraction must be > 0 for the head method (its early stopping needs it)");
            }
            ClassifierTrainSpec spec = new ClassifierTrainSpec(model, data, textColumn, labelColumn, out, test, valFraction, epochs,
                    patience, lr, batchSize, dropout, l2, seed, Abstention.none(), threads.count(), null);
            return MultiLabelTraining.run(spec, m, train, th, labelSeparator);
        }

        @Override
        public Integer call() throws Exception {
            if (!java.util.Set.of("full", "head", "setfit", "auto").contains(method)) {
                throw new IllegalArgumentException("--method must be auto, full, setfit or head, got '" + method + "'");
            }
            if (pairs != null && pairs < 1) {
                throw new IllegalArgumentException("--pairs must be >= 1, got " + pairs);
            }
            if (!(valFraction >= 0 && valFraction < 1)) {
                throw new IllegalArgumentException("--val-fraction must be in [0, 1), got " + valFraction);
            }
            MultiLabelTexts.checkSeparator(labelSeparator);
            if (!Boolean.FALSE.equals(multiLabel)) {
                MultiLabelTexts ml = MultiLabelTexts.read(data, textColumn, labelColumn, labelSeparator);
                if (Boolean.TRUE.equals(multiLabel) || ml.multiple()) {
                    if (multiLabel == null) {
                        // Say which row made the data multi-label: a single-label CSV with one '|' by accident would
                        // otherwise silently train one sigmoid per label.
                        System.err.println("classify-train: multi-label detected: " + ml.detectedAt()
                                + " (--no-multi-label reads every label as one class)");
                    }
                    return trainMultiLabel(ml);
                }
            }
            if (multiThreshold != null) {
                throw new IllegalArgumentException("--threshold is the decision threshold of multi-label data (see --multi-label); "
                        + "single-label classifiers abstain with --oos-threshold");
            }
            LabeledTexts train = LabeledTexts.read(data, textColumn, labelColumn);
            Abstention ab = abstention(train);
            String method = this.method.equals("auto") ? autoMethod(train, ab) : this.method;
            if (this.method.equals("auto")) {
                System.err.println("classify-train: --method auto chose " + method + " (" + String.format(java.util.Locale.ROOT, "%.1f", perClass(train, ab))
                        + " examples per class; setfit below " + AUTO_SETFIT_BELOW + ", full from " + AUTO_FULL_PER_CLASS + ")");
            }
            if ((method.equals("head") || method.equals("setfit")) && valFraction == 0) {
                throw new IllegalArgumentException("--val-fraction must be > 0 for the " + method
                        + " method (the head's early stopping and calibration need it)");
            }
            ClassifierTrainSpec spec = new ClassifierTrainSpec(model, data, textColumn, labelColumn, out, test, valFraction, epochs,
                    patience, lr, batchSize, dropout, l2, seed, ab, threads.count(), pairs);
            return switch (method) {
                case "full" -> FullFineTune.run(spec, train);
                case "setfit" -> SetFitTraining.run(spec, train);
                default -> HeadTraining.run(spec, train);
            };
        }
    }

    /**
     * Examples per label from which {@code --method auto} fine-tunes the encoder on multi-label data (as
     * {@link Train#AUTO_FULL_PER_CLASS} counts examples per class); below it, the head on frozen embeddings.
     */
    static final int AUTO_FULL_PER_LABEL = Train.AUTO_FULL_PER_CLASS;

    static String autoMultiLabelMethod(MultiLabelTexts train) {
        return MultiLabelTraining.perLabel(train) < AUTO_FULL_PER_LABEL ? "head" : "full";
    }

    @Command(name = "classify", description = "Classify texts: JSONL {\"text\": ...} on stdin, {\"label\", \"probability\"} per line on stdout. "
            + "label is the best label, or 'unknown' when the classifier abstains (only when trained with an out-of-scope label, "
            + "--oos-threshold or --abstain-rate); raw_label is always the best label (as in /v1/classify). A multi-label classifier "
            + "adds labels: [{label, probability}] for every label at or above its threshold (possibly none), most likely first; "
            + "label is then the first of them, or \"\" when there is none.")
    static final class Classify implements Callable<Integer> {
        @Mixin
        ClassifierOptions classifier;

        @Option(names = "--top-k", defaultValue = "0", description = "Also list the k most likely labels (0 = none; default ${DEFAULT-VALUE}).")
        int topK;

        @Mixin
        ThreadsOption threads;

        @Override
        public Integer call() throws Exception {
            if (topK < 0) {
                throw new IllegalArgumentException("--top-k must be >= 0, got " + topK);
            }
            int n = threads.count();
            Path model = classifier.model;
            boolean raw = classifier.raw;
            try (TextClassifier c = LoadLog.timed(System.err, model, () -> TextClassifier.open(model, n))) {
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
        if (c.multiLabel()) {
            ArrayNode ls = o.putArray("labels");
            c.answered(p).forEach(r -> ls.addObject().put("label", r.label()).put("probability", r.probability()));
            o.put("threshold", c.head().threshold());
        }
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
