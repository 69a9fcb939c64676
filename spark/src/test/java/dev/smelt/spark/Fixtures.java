package dev.smelt.spark;

import dev.smelt.model.classify.Abstention;
import dev.smelt.model.classify.TextClassifier;
import dev.smelt.model.encoder.BertEmbedder;
import dev.smelt.model.encoder.Embedders;
import dev.smelt.train.classify.LogisticTrainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A tiny classifier (a head on the built-in encoder) and an input table, shared by the Spark tests. */
final class Fixtures {
    static final String[][] EXAMPLES = {
        {"card", "my card has not arrived", "when will my new card come", "still waiting for the card I ordered",
            "card delivery is late", "where is my card", "the card never showed up"},
        {"refund", "I want my money back", "please refund this purchase", "how do I get a refund",
            "refund the charge", "can I return it for a refund", "give me a refund"},
        {"pin", "how do I change my PIN", "I forgot my PIN", "reset my pin code", "my PIN is blocked",
            "set a new PIN", "unlock my pin"}};

    private Fixtures() {
    }

    /** Trains a head on {@link #EXAMPLES} and saves it to {@code dir}. */
    static Path classifier(Path dir) throws IOException {
        List<String> texts = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (String[] ex : EXAMPLES) {
            for (int i = 1; i < ex.length; i++) {
                texts.add(ex[i]);
                labels.add(ex[0]);
            }
        }
        try (BertEmbedder e = Embedders.open(Embedders.DEFAULT, 2)) {
            float[][] x = e.embed(texts);
            LogisticTrainer.Options o = new LogisticTrainer.Options(0.34, 60, 60, 64, 0.05, 1e-4, 7, Abstention.none());
            LogisticTrainer.Fitted f = new LogisticTrainer(o, null).fit(Embedders.DEFAULT, x, labels);
            f.distance().save(dir);
            f.head().save(dir);
        }
        return dir;
    }

    /** {@code n} texts (with commas, quotes and a line break, to exercise CSV) in a CSV with an id column. */
    static List<String> texts(int n) {
        String[] words = {"card", "refund", "PIN", "money", "arrived", "blocked", "purchase", "\"new\"", "late, very late", "code"};
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add("row " + i + ": my " + words[i % words.length] + " and " + words[(i * 7 + 3) % words.length]
                    + (i % 13 == 0 ? "\nsecond line" : ""));
        }
        return out;
    }

    static Path csv(Path file, List<String> texts) throws IOException {
        StringBuilder sb = new StringBuilder("id,text\n");
        for (int i = 0; i < texts.size(); i++) {
            sb.append(i).append(",\"").append(texts.get(i).replace("\"", "\"\"")).append("\"\n");
        }
        return Files.writeString(file, sb);
    }

    /** What {@code smelt classify} answers for each text (the same library call, in one JVM, batches of {@link BertEmbedder#BATCH}). */
    static List<dev.smelt.model.classify.SoftmaxClassifier.Prediction> classifyLocally(Path model, List<String> texts) throws IOException {
        try (TextClassifier c = TextClassifier.open(model, 1)) { // the executors have 1 core each
            List<dev.smelt.model.classify.SoftmaxClassifier.Prediction> out = new ArrayList<>();
            for (int b = 0; b < texts.size(); b += BertEmbedder.BATCH) {
                out.addAll(c.predict(texts.subList(b, Math.min(texts.size(), b + BertEmbedder.BATCH))));
            }
            return out;
        }
    }
}
