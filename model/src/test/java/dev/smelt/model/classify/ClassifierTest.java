package dev.smelt.model.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Labelled datasets (CSV, JSONL) and their errors; the logistic head is tested in train (LogisticTrainerTest). */
class ClassifierTest {
    @Test
    void readsCsvWithQuotesAndJsonlAndNamesBadLines(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("d.csv");
        Files.writeString(csv, "text,category\n\"Hello, \"\"world\"\"\nsecond line\",greet\nbye,leave\n");
        LabeledTexts d = LabeledTexts.read(csv, "text", "category");
        assertThat(d.texts()).containsExactly("Hello, \"world\"\nsecond line", "bye");
        assertThat(d.labels()).containsExactly("greet", "leave");
        assertThatThrownBy(() -> LabeledTexts.read(csv, "text", "label")).hasMessageContaining("line 1: no column 'label'");
        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "text,label\nok,a\n\"never closed,b\n");
        assertThatThrownBy(() -> LabeledTexts.read(bad, "text", "label")).hasMessageContaining("bad.csv line 3: quoted field is never closed");
        Path jsonl = dir.resolve("d.jsonl");
        Files.writeString(jsonl, "{\"text\":\"a\",\"label\":\"x\"}\n\n{\"text\":\"b\"}\n");
        assertThatThrownBy(() -> LabeledTexts.read(jsonl, "text", "label")).hasMessageContaining("d.jsonl line 3: field 'label' is missing");
        assertThatThrownBy(() -> LabeledTexts.read(dir.resolve("x.parquet"), "t", "l")).hasMessageContaining("expected a .csv or .jsonl");
        assertThatThrownBy(() -> SoftmaxClassifier.load(dir)).hasMessageContaining("not a classifier directory");
    }
}
