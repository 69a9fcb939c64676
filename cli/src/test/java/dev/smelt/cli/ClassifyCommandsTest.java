package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** classify-train's option errors, a setfit and (slow) a full fine-tune → classify round trip through the CLI. */
class ClassifyCommandsTest {
    private static Path csv(Path dir) throws Exception {
        StringBuilder b = new StringBuilder("text,category\n");
        String[][] rows = {{"where is my card", "card_arrival"}, {"my card has not arrived yet", "card_arrival"},
            {"card still not here", "card_arrival"}, {"when will my card come", "card_arrival"},
            {"what is the exchange rate", "exchange_rate"}, {"how much is a euro in dollars", "exchange_rate"},
            {"exchange rate for pounds", "exchange_rate"}, {"which rate do you use to convert", "exchange_rate"}};
        for (String[] r : rows) {
            b.append(r[0]).append(',').append(r[1]).append('\n');
        }
        Path p = dir.resolve("train.csv");
        Files.writeString(p, b);
        return p;
    }

    @Test
    void badMethodAndFractionAreClearErrors(@TempDir Path dir) throws Exception {
        Path data = csv(dir);
        String[] r = CliRun.run("classify-train", "--data", data.toString(), "--text-column", "text",
                "--label-column", "category", "--out", dir.resolve("o").toString(), "--method", "bogus");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("--method must be auto, full, setfit or head").contains("bogus").doesNotContain("at dev.smelt");
        r = CliRun.run("classify-train", "--data", data.toString(), "--text-column", "text",
                "--label-column", "category", "--out", dir.resolve("o").toString(), "--val-fraction", "1.5");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("--val-fraction").contains("1.5").doesNotContain("at dev.smelt");
        r = CliRun.run("classify-train", "--data", data.toString(), "--text-column", "text",
                "--label-column", "category", "--out", dir.resolve("o").toString(), "--method", "lora");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("--method must be auto, full, setfit or head").contains("lora").doesNotContain("at dev.smelt");
    }

    @Test
    void autoPicksSetfitFewShotTheHeadAt15To40AndFullFineTuningWithMoreData(@TempDir Path dir) throws Exception {
        dev.smelt.model.classify.LabeledTexts few = dev.smelt.model.classify.LabeledTexts.read(csv(dir), "text", "category");
        assertThat(ClassifyCommands.Train.autoMethod(few, dev.smelt.model.classify.Abstention.none())).isEqualTo("setfit"); // 4 per class
        java.util.List<String> texts = new java.util.ArrayList<>();
        java.util.List<String> labels = new java.util.ArrayList<>();
        for (int i = 0; i < 2 * ClassifyCommands.Train.AUTO_FULL_PER_CLASS; i++) {
            texts.add("text " + i);
            labels.add(i % 2 == 0 ? "a" : "b");
        }
        assertThat(ClassifyCommands.Train.autoMethod(new dev.smelt.model.classify.LabeledTexts(texts, labels),
                dev.smelt.model.classify.Abstention.none())).isEqualTo("full");
        // out-of-scope examples are not a class: they do not count toward the examples per class
        labels.replaceAll(l -> l.equals("b") ? "oos" : l);
        labels.set(1, "b");
        assertThat(ClassifyCommands.Train.autoMethod(new dev.smelt.model.classify.LabeledTexts(texts, labels),
                dev.smelt.model.classify.Abstention.oosLabel("oos"))).isEqualTo("head"); // 41 in scope over 2 labels: 20.5
        labels.set(3, "b");
        labels.replaceAll(l -> l.equals("oos") ? "c" : l); // 80 over 3 labels: 26.7 per class
        assertThat(ClassifyCommands.Train.autoMethod(new dev.smelt.model.classify.LabeledTexts(texts, labels),
                dev.smelt.model.classify.Abstention.none())).isEqualTo("head");
    }

    /**
     * The smallest real SetFit run: 8 Banking77-like texts, one validation example per intent, 2 pairs per training
     * example (12 pairs, one step), the head on the tuned encoder's unit vectors; the directory classifies.
     */
    @Test
    void setfitThenClassify(@TempDir Path dir) throws Exception {
        Path data = csv(dir);
        Path out = dir.resolve("clf");
        String[] r = CliRun.run("classify-train", "--data", data.toString(), "--text-column", "text", "--label-column", "category",
                "--out", out.toString(), "--method", "setfit", "--pairs", "2", "--val-fraction", "0.25", "--threads", "2");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        com.fasterxml.jackson.databind.JsonNode report = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r[1]);
        assertThat(report.path("method").asText()).isEqualTo("setfit");
        assertThat(report.path("train_examples").asInt()).isEqualTo(6);
        assertThat(report.path("validation_examples").asInt()).isEqualTo(2);
        assertThat(report.path("contrastive_pairs").asInt()).as("6 training examples x 2 pairs").isEqualTo(12);
        assertThat(report.path("contrastive_positive_pairs").asInt()).isEqualTo(6);
        assertThat(report.path("contrastive_steps").asInt()).isEqualTo(1);
        assertThat(report.path("contrastive_loss_per_epoch")).hasSize(1);
        assertThat(Files.readString(out.resolve("encoder").resolve("modules.json")))
                .as("the head was trained on unit vectors: the saved encoder normalizes").contains("sentence_transformers.models.Normalize");
        java.io.InputStream old = System.in;
        try {
            System.setIn(new java.io.ByteArrayInputStream("{\"text\": \"my card never arrived\"}\n{\"text\": \"euro to dollar rate\"}\n".getBytes()));
            r = CliRun.run("classify", "--model", out.toString());
        } finally {
            System.setIn(old);
        }
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        String[] lines = r[1].strip().split("\n");
        assertThat(lines).hasSize(2);
        assertThat(lines[0]).contains("\"label\":\"card_arrival\"");
        assertThat(lines[1]).contains("\"label\":\"exchange_rate\"");
        r = CliRun.run("classify-train", "--data", data.toString(), "--text-column", "text", "--label-column", "category",
                "--out", dir.resolve("o2").toString(), "--method", "setfit", "--pairs", "0");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("--pairs must be >= 1").doesNotContain("at dev.smelt");
    }

    @Test
    @Tag("slow")
    void fullFineTuneThenClassify(@TempDir Path dir) throws Exception {
        Path data = csv(dir);
        Path out = dir.resolve("clf");
        String[] r = CliRun.run("classify-train", "--data", data.toString(), "--text-column", "text",
                "--label-column", "category", "--out", out.toString(), "--method", "full", "--epochs", "2", "--batch-size", "4", "--val-fraction", "0.25");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("\"method\" : \"full\"");
        com.fasterxml.jackson.databind.JsonNode report = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r[1]);
        assertThat(report.path("early_stopping").asText()).isEqualTo("validation_loss");
        com.fasterxml.jackson.databind.JsonNode losses = report.path("validation_loss_per_epoch");
        assertThat(losses).hasSize(report.path("epochs").asInt());
        assertThat(report.path("validation_accuracy_per_epoch")).hasSize(report.path("epochs").asInt());
        int argmin = 0;
        for (int e = 1; e < losses.size(); e++) {
            argmin = losses.get(e).asDouble() < losses.get(argmin).asDouble() ? e : argmin;
        }
        assertThat(report.path("best_epoch").asInt()).as("the lowest validation loss of %s", losses).isEqualTo(argmin + 1);
        assertThat(out.resolve("classifier.json")).exists();
        assertThat(out.resolve("encoder").resolve("model.safetensors")).exists();
        java.io.InputStream old = System.in;
        try {
            System.setIn(new java.io.ByteArrayInputStream("{\"text\": \"my card never arrived\"}\n".getBytes()));
            r = CliRun.run("classify", "--model", out.toString(), "--top-k", "2");
        } finally {
            System.setIn(old);
        }
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("\"label\"").contains("\"probability\"").contains("\"top\"");
    }
}
