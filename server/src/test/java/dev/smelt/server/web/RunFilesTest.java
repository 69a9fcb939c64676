package dev.smelt.server.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run-file readers on the shapes smelt and MLflow write and on the ways those files break. */
class RunFilesTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    @Test
    void metricsCsvKeepsEmptyAndNonFiniteCellsAsGaps() throws Exception {
        RunFiles.Curves c = RunFiles.metricsCsv(write("metrics.csv", "step,loss,lr,eval_loss\n1,2.5,1e-4,\n2,NaN,2e-4,1.5\n\n3,2.0,3e-4,\n"), "metrics.csv");
        assertThat(c.x()).containsExactly(1.0, 2.0, 3.0);
        assertThat(c.series().get("loss")).containsExactly(2.5, null, 2.0);
        assertThat(c.series().get("eval_loss")).containsExactly(null, 1.5, null);
        JsonNode charts = RunFiles.charts(c);
        assertThat(charts.get(0).path("title").asText()).isEqualTo("Loss");
        assertThat(charts.get(0).path("series").get(1).path("name").asText()).isEqualTo("eval_loss");
        assertThat(charts.get(1).path("title").asText()).isEqualTo("Learning rate");
        assertThat(charts.get(0).path("series").get(0).path("values").toString()).isEqualTo("[2.5,null,2.0]");
    }

    @Test
    void brokenMetricsCsvNamesTheFileAndLine() throws Exception {
        assertThatThrownBy(() -> RunFiles.metricsCsv(write("a.csv", "loss,step\n1,2\n"), "a.csv")).hasMessage(
                "a.csv: line 1: expected a header starting with 'step', got 'loss,step'");
        assertThatThrownBy(() -> RunFiles.metricsCsv(write("b.csv", "step,loss\n1,2\n2\n"), "b.csv")).hasMessage(
                "b.csv: line 3: 1 cells, the header has 2");
        assertThatThrownBy(() -> RunFiles.metricsCsv(write("c.csv", "step,loss\nx,2\n"), "c.csv")).hasMessage(
                "c.csv: line 2: step 'x' is not a number");
        Path bin = dir.resolve("d.csv");
        Files.write(bin, new byte[] {'s', 't', 'e', 'p', '\n', (byte) 0xff});
        assertThatThrownBy(() -> RunFiles.metricsCsv(bin, "d.csv")).hasMessage("d.csv: not UTF-8 text");
        assertThatThrownBy(() -> RunFiles.metricsCsv(write("e.csv", ""), "e.csv")).hasMessageStartingWith("e.csv: line 1:");
    }

    @Test
    void longCurvesAreThinnedKeepingTheLastPoint() {
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (int i = 1; i <= 5 * RunFiles.MAX_POINTS + 3; i++) {
            x.add((double) i);
            y.add(1.0 / i);
        }
        RunFiles.Curves t = RunFiles.thin(new RunFiles.Curves("step", x, Map.of("loss", y)));
        assertThat(t.x().size()).isLessThanOrEqualTo(RunFiles.MAX_POINTS + 1);
        assertThat(t.x().getFirst()).isEqualTo(1.0);
        assertThat(t.x().getLast()).isEqualTo(x.getLast());
        assertThat(t.series().get("loss").getLast()).isEqualTo(y.getLast());
    }

    @Test
    void mlflowMetricsAreAlignedByStepAndBadLinesNamed() throws Exception {
        write("run/metrics/loss", "1700000000000 3.0 1\n1700000000001 1.5 2\n");
        write("run/metrics/learning_rate", "1700000000000 0.001 2\n");
        RunFiles.Curves c = RunFiles.mlflowMetrics(dir.resolve("run"), "");
        assertThat(c.x()).containsExactly(1.0, 2.0);
        assertThat(c.series().get("loss")).containsExactly(3.0, 1.5);
        assertThat(c.series().get("learning_rate")).containsExactly(null, 0.001);
        write("bad/metrics/loss", "1700000000000 3.0 1\nnot a line at all\n");
        assertThatThrownBy(() -> RunFiles.mlflowMetrics(dir.resolve("bad"), "")).hasMessage(
                "metrics/loss: line 2: expected 'TIMESTAMP VALUE STEP', got 'not a line at all'");
    }

    @Test
    void mlflowMetaGivesTheStatusAsAWord() throws Exception {
        ObjectNode meta = RunFiles.mlflowMeta(write("meta.yaml", "artifact_uri: file:///x\nrun_name: 'my run'\nstatus: 4\ntags: []\n"), "meta.yaml");
        assertThat(meta.path("status").asText()).isEqualTo("failed");
        assertThat(meta.path("run_name").asText()).isEqualTo("my run");
        assertThatThrownBy(() -> RunFiles.mlflowMeta(write("m2.yaml", "no colon here\n"), "m2.yaml")).hasMessage(
                "m2.yaml: line 1: expected 'key: value', got 'no colon here'");
    }

    @Test
    void perEpochArraysOfAFineTunedClassifierBecomeCurves() throws Exception {
        ObjectNode m = RunFiles.jsonObject(write("c.json", "{\"train_loss_per_epoch\": [0.9, 0.5, 0.3], \"validation_loss_per_epoch\": [1.0, 0.6, NaN],"
                + " \"validation_accuracy_per_epoch\": [0.6, 0.8, 0.85], \"epochs\": 3}"), "c.json");
        RunFiles.Curves c = RunFiles.perEpoch(m);
        assertThat(c.xName()).isEqualTo("epoch");
        assertThat(c.x()).containsExactly(1.0, 2.0, 3.0);
        assertThat(c.series().get("validation_loss")).containsExactly(1.0, 0.6, null);
        JsonNode charts = RunFiles.charts(c);
        assertThat(charts.get(0).path("title").asText()).isEqualTo("Loss");
        assertThat(charts.get(0).path("series")).hasSize(2);
        assertThat(charts.get(1).path("title").asText()).isEqualTo("Accuracy");
        assertThat(RunFiles.finite(m).path("validation_loss_per_epoch").get(2).isNull()).isTrue();
    }

    @Test
    void malformedJsonNamesLineAndColumn() throws Exception {
        assertThatThrownBy(() -> RunFiles.jsonObject(write("r.json", "{\n  \"a\": tru\n}"), "r.json")).hasMessageStartingWith(
                "r.json: malformed JSON at line 2");
        assertThatThrownBy(() -> RunFiles.jsonObject(write("s.json", "[1, 2]"), "s.json")).hasMessage("s.json: not a JSON object");
    }
}
