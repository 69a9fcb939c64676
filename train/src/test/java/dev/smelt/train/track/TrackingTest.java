package dev.smelt.train.track;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrackingTest {
    @TempDir
    Path dir;

    /** A clock that advances 1.5 s per reading, from 2026-01-01T00:00:00Z. */
    static final class StepClock extends Clock {
        long millis = 1767225600000L;

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            Instant i = Instant.ofEpochMilli(millis);
            millis += 1500;
            return i;
        }
    }

    @Test
    void mlflowFileStoreLayoutExactly() throws Exception {
        Path mlruns = dir.resolve("mlruns");
        StepClock clock = new StepClock();
        String id;
        try (MlflowRun run = MlflowRun.start(mlruns, "banking77-r16", "alice", clock, new Random(1))) {
            id = run.runId();
            assertThat(id).matches("[0-9a-f]{32}").satisfies(s -> assertThat(s.charAt(12)).isEqualTo('4'));
            Map<String, Object> params = new LinkedHashMap<>();
            params.put("lora_rank", 16);
            params.put("learning_rate", 2e-4);
            run.logParams(params);
            run.logMetric("loss", 2.5, 1);
            run.logMetric("loss", 1.25, 2);
            run.logMetric("lr", 1e-5, 2);
        }
        String expUri = mlruns.resolve("0").toUri().toString().replaceAll("/$", "");
        assertThat(Files.readString(mlruns.resolve("0/meta.yaml"))).isEqualTo("artifact_location: " + expUri + "\n"
                + "creation_time: 1767225600000\n"
                + "experiment_id: '0'\n"
                + "last_update_time: 1767225600000\n"
                + "lifecycle_stage: active\n"
                + "name: Default\n");
        Path run = mlruns.resolve("0").resolve(id);
        assertThat(Files.readString(run.resolve("meta.yaml"))).isEqualTo("artifact_uri: " + expUri + "/" + id + "/artifacts\n"
                + "end_time: 1767225607500\n"
                + "entry_point_name: ''\n"
                + "experiment_id: '0'\n"
                + "lifecycle_stage: active\n"
                + "run_id: '" + id + "'\n"
                + "run_name: 'banking77-r16'\n"
                + "run_uuid: '" + id + "'\n"
                + "source_name: ''\n"
                + "source_type: 4\n"
                + "source_version: ''\n"
                + "start_time: 1767225601500\n"
                + "status: 3\n"
                + "tags: []\n"
                + "user_id: 'alice'\n");
        assertThat(Files.readString(run.resolve("params/lora_rank"))).isEqualTo("16");
        assertThat(Files.readString(run.resolve("params/learning_rate"))).isEqualTo("0.0002");
        assertThat(Files.readString(run.resolve("tags/mlflow.runName"))).isEqualTo("banking77-r16");
        assertThat(Files.readString(run.resolve("tags/mlflow.user"))).isEqualTo("alice");
        assertThat(Files.readString(run.resolve("metrics/loss"))).isEqualTo("1767225603000 2.5 1\n1767225604500 1.25 2\n");
        assertThat(Files.readString(run.resolve("metrics/lr"))).isEqualTo("1767225606000 1e-05 2\n");
        assertThat(run.resolve("artifacts")).isDirectory();
        assertThat(MlflowRun.pythonFloat(Double.NaN)).isEqualTo("nan");
        // Python: repr(1e16), repr(-1.5e-07), repr(123456.0), repr(0.1), repr(1e-4)
        assertThat(MlflowRun.pythonFloat(1e16)).isEqualTo("1e+16");
        assertThat(MlflowRun.pythonFloat(-1.5e-7)).isEqualTo("-1.5e-07");
        assertThat(MlflowRun.pythonFloat(123456.0)).isEqualTo("123456.0");
        assertThat(MlflowRun.pythonFloat(0.1)).isEqualTo("0.1");
        assertThat(MlflowRun.pythonFloat(1e-4)).isEqualTo("0.0001");
    }

    @Test
    void resumeDropsStepsAfterTheCheckpointAndRunsAgain() throws Exception {
        Path mlruns = dir.resolve("mlruns");
        StepClock clock = new StepClock();
        MlflowRun run = MlflowRun.start(mlruns, "r", "", clock, new Random(2));
        for (int s = 1; s <= 5; s++) {
            run.logMetric("loss", s, s);
        }
        run.finish(MlflowRun.Status.KILLED);
        assertThat(Files.readString(run.runDir().resolve("meta.yaml"))).contains("status: 5\n");
        MlflowRun again = MlflowRun.resume(mlruns, run.runId(), 3, clock);
        assertThat(Files.readString(run.runDir().resolve("meta.yaml"))).contains("status: 1\n").contains("end_time: null\n")
                .contains("run_name: 'r'\n");
        assertThat(Files.readAllLines(run.runDir().resolve("metrics/loss"))).extracting(l -> l.split(" ")[2]).containsExactly("1", "2", "3");
        again.logMetric("loss", 4, 4);
        again.close();
        assertThat(Files.readAllLines(run.runDir().resolve("metrics/loss"))).hasSize(4);
        assertThatThrownBy(() -> MlflowRun.resume(mlruns, "nope", 1, clock)).hasMessageContaining("meta.yaml");
        assertThatThrownBy(() -> again.logMetric("../x", 1, 1)).hasMessageContaining("invalid MLflow metric name '../x'");
    }

    @Test
    void metricsCsvExactContentAndResume() throws Exception {
        Path f = dir.resolve("out/metrics.csv");
        MetricsCsv csv = MetricsCsv.create(f, List.of("loss", "lr", "val_loss"));
        csv.log(1, Map.of("loss", 2.5, "lr", 1e-4));
        csv.log(2, Map.of("loss", 2.25, "lr", 2e-4, "val_loss", 2.75));
        csv.log(3, Map.of("loss", 2.0f));
        assertThat(Files.readString(f)).isEqualTo("step,loss,lr,val_loss\n1,2.5,1.0E-4,\n2,2.25,2.0E-4,2.75\n3,2.0,,\n");
        MetricsCsv.resume(f, List.of("loss", "lr", "val_loss"), 2).log(3, Map.of("loss", 1.5));
        assertThat(Files.readString(f)).isEqualTo("step,loss,lr,val_loss\n1,2.5,1.0E-4,\n2,2.25,2.0E-4,2.75\n3,1.5,,\n");
        assertThatThrownBy(() -> MetricsCsv.resume(f, List.of("loss"), 2)).hasMessageContaining("metrics.csv: line 1: header is 'step,loss,lr,val_loss'");
        assertThatThrownBy(() -> csv.log(4, Map.of("acc", 1))).hasMessageContaining("metric 'acc' is not a column");
        assertThatThrownBy(() -> MetricsCsv.create(f, List.of("a,b"))).hasMessageContaining("invalid metrics.csv column 'a,b'");
    }
}
