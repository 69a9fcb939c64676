package dev.smelt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

        @Option(names = "--method", defaultValue = "full",
                description = "full: fine-tune every encoder weight with the head; head: a head on frozen embeddings (fast, less accurate). Default ${DEFAULT-VALUE}.")
        String method;

        @Option(names = "--epochs", description = "Most epochs (default: full 4, head 200; early stopping may end sooner).")
        Integer epochs;

        @Option(names = "--patience", description = "Epochs without a lower validation loss before stopping; the lowest-loss epoch is kept (default: full 2, head 8).")
        Integer patience;

        @Option(names = "--lr", description = "Peak learning rate (default: full 1e-4 with warm-up and linear decay, head 3e-3).")
        Double lr;

        @Option(names = "--batch-size", defaultValue = "32", description = "Sequences per step (full fine-tuning; default ${DEFAULT-VALUE}).")
        int batchSize;

        @Option(names = "--dropout", defaultValue = "0.1", description = "Hidden dropout while fine-tuning (default ${DEFAULT-VALUE}, as BERT).")
        float dropout;

        @Option(names = "--l2", defaultValue = "1e-4", description = "L2 penalty on the head's weights (--method head; default ${DEFAULT-VALUE}).")
        double l2;

        @Option(names = "--seed", defaultValue = "42", description = "Seed of the split, the data order and dropout (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--oos-threshold", defaultValue = "auto",
                description = "Top probability below which the answer is 'unknown': a number, 0 to disable, or auto (keeps 95%% of correct validation answers); default ${DEFAULT-VALUE}.")
        String threshold;

        @Mixin
        ThreadsOption threads;

        @Override
        public Integer call() throws Exception {
            double th = threshold.equals("auto") ? -1 : parseThreshold(threshold);
            if (!(valFraction >= 0 && valFraction < 1)) {
                throw new IllegalArgumentException("--val-fraction must be in [0, 1), got " + valFraction);
            }
            ClassifierTrainSpec spec = new ClassifierTrainSpec(model, data, textColumn, labelColumn, out, test, valFraction, epochs,
                    patience, lr, batchSize, dropout, l2, seed, th, threads.count());
            return switch (method) {
                case "full" -> FullFineTune.run(spec);
                case "head" -> HeadTraining.run(spec);
                default -> throw new IllegalArgumentException("--method must be full or head, got '" + method + "'");
            };
        }
    }

    static double parseThreshold(String s) {
        try {
            double v = Double.parseDouble(s);
            if (v >= 0 && v < 1) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("--oos-threshold must be 'auto' or a number in [0, 1), got '" + s + "'");
    }

    @Command(name = "classify", description = "Classify texts: JSONL {\"text\": ...} on stdin, {\"label\", \"probability\"} per line on stdout.")
    static final class Classify implements Callable<Integer> {
        @Option(names = {"-m", "--model"}, required = true, description = "Directory written by classify-train.")
        Path model;

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
            try (TextClassifier c = TextClassifier.open(model, n)) {
                JsonlTexts in = new JsonlTexts(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), "stdin");
                Writer out = new OutputStreamWriter(System.out, StandardCharsets.UTF_8);
                for (List<String> chunk = in.next(BertEmbedder.BATCH); !chunk.isEmpty(); chunk = in.next(BertEmbedder.BATCH)) {
                    for (SoftmaxClassifier.Prediction p : c.predict(chunk)) {
                        out.write(line(c, p, topK));
                        out.write('\n');
                    }
                    out.flush();
                }
            }
            return 0;
        }
    }

    static String line(TextClassifier c, SoftmaxClassifier.Prediction p, int topK) {
        ObjectNode o = JSON.createObjectNode().put("label", p.label()).put("probability", p.probability());
        if (topK > 0) {
            ArrayNode top = o.putArray("top");
            for (TextClassifier.Ranked r : c.top(p, topK)) {
                top.addObject().put("label", r.label()).put("probability", r.probability());
            }
        }
        return o.toString();
    }

}
