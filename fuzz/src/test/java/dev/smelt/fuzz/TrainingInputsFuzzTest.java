package dev.smelt.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.smelt.task.DataFile;
import dev.smelt.task.TaskSpec;
import dev.smelt.model.classify.LabeledTexts;
import dev.smelt.router.RouterConfig;
import dev.smelt.train.data.JsonlExamples;
import java.nio.file.Path;

/** Training and task inputs: JSONL fine-tune data, CSV/JSONL labelled data, task YAML, router YAML. */
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
