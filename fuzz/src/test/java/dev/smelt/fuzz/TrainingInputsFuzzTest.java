package dev.smelt.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.smelt.task.DataFile;
import dev.smelt.task.TaskSpec;
import dev.smelt.model.classify.LabeledTexts;
import dev.smelt.model.classify.MultiLabelTexts;
import dev.smelt.router.RouterConfig;
import dev.smelt.train.data.JsonlExamples;
import java.nio.file.Path;

/** Training and task inputs: JSONL fine-tune data, CSV/JSONL labelled data (single- and multi-label), task YAML, router YAML. */
class TrainingInputsFuzzTest {
    private static final Path DIR = Outcomes.tempDir("smelt-fuzz-data");

    @FuzzTest
    void jsonlTrainingData(byte[] data) {
        Path p = Outcomes.write(DIR, "train.jsonl", data);
        Outcomes.expect(() -> JsonlExamples.read(p));
        Outcomes.expect(() -> DataFile.read(p, "text", "label", false));
    }

    @FuzzTest
    void csvData(byte[] data) {
        Path p = Outcomes.write(DIR, "data.csv", data);
        Outcomes.expect(() -> DataFile.read(p, "text", "label", false));
        Outcomes.expect(() -> LabeledTexts.read(p, "text", "label"));
    }

    /** Multi-label data (classify-train --multi-label): JSONL label arrays and separated CSV cells, the same bytes as both. */
    @FuzzTest
    void multiLabelData(byte[] data) {
        Path j = Outcomes.write(DIR, "labels.jsonl", data);
        Outcomes.expect(() -> MultiLabelTexts.read(j, "text", "label", MultiLabelTexts.DEFAULT_SEPARATOR));
        Path c = Outcomes.write(DIR, "labels.csv", data);
        Outcomes.expect(() -> MultiLabelTexts.read(c, "text", "label", MultiLabelTexts.DEFAULT_SEPARATOR));
    }

    @FuzzTest
    void taskYaml(byte[] data) {
        Path p = Outcomes.write(DIR, "task.yaml", data);
        Outcomes.expect(() -> TaskSpec.load(p));
    }

    @FuzzTest
    void routerYaml(byte[] data) {
        Path p = Outcomes.write(DIR, "router.yaml", data);
        Outcomes.expect(() -> RouterConfig.load(p));
    }
}
