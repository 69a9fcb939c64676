package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.client.Canonical;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code smelt demo} end to end on the shipped Banking77 (examples/banking77, relative to the cli module):
 * replay stand-in, distill over HTTP, MiniLM classifier, calibrated cascade, route-eval, router endpoint.
 */
class DemoCommandTest {
    static final Path DATASET = Path.of("../examples/banking77");

    @TempDir
    Path dir;

    private static JsonNode onlyJsonLine(String[] r) throws Exception {
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        String[] lines = r[1].strip().split("\n");
        assertThat(lines).as("stdout is one JSON line: " + r[1]).hasSize(1);
        return Canonical.JSON.readTree(lines[0]);
    }

    private static void assertInRange(JsonNode o) {
        for (String k : new String[] {"accuracy", "teacher_share", "classifier_accuracy", "teacher_accuracy", "cpt50", "cpt80"}) {
            assertThat(o.path(k).isNumber()).as(k + " in " + o).isTrue();
            assertThat(o.get(k).asDouble()).as(k).isBetween(0.0, 1.0);
        }
        assertThat(o.path("apgr").isNumber()).as("apgr in " + o).isTrue();
        assertThat(o.get("apgr").asDouble()).isBetween(0.0, 1.0);
        assertThat(o.get("cost_usd").decimalValue()).isPositive().isLessThanOrEqualTo(o.get("teacher_only_cost_usd").decimalValue());
        assertThat(o.get("seconds").asDouble()).isPositive();
        // the stand-in replays the gold labels, so the teacher is always right and routing can only help
        assertThat(o.get("teacher_accuracy").asDouble()).isEqualTo(1.0);
        assertThat(o.get("accuracy").asDouble()).isGreaterThanOrEqualTo(o.get("classifier_accuracy").asDouble());
    }

    @Test
    void smallDemoRunsThePlaybookAndTheRouterEndpointAnswers() throws Exception {
        Path work = dir.resolve("work");
        String[] r = CliRun.run("demo", "--dataset", DATASET.toString(), "--work", work.toString(), "--limit", "200",
                "--port", "0", "--teacher-share", "0.3");
        JsonNode o = onlyJsonLine(r);
        assertInRange(o);
        assertThat(o.get("n").asInt()).isEqualTo(200);
        // calibrated on the held-out split, measured on the test sample: near the target, not exactly it
        assertThat(o.get("teacher_share").asDouble()).isBetween(0.1, 0.5);
        assertThat(o.get("router_answered_by").asText()).isIn("classifier", "teacher");
        // without --serve the endpoint is gone when the line is printed: no URL that would not answer
        assertThat(o.has("router_url")).isFalse();
        assertThat(o.get("router_endpoint").asText()).isEqualTo("stopped");
        assertThat(r[2]).contains("STAND-IN").contains("router endpoint:").contains("stopped with the demo (--serve keeps it running)");
        for (String f : new String[] {"distill/classify.jsonl", "distill/DATA_CARD.md", "distill/report.json", "classifier/classifier.json",
                "split/calibration.jsonl", "eval/result.json", "eval/report.html", "router.yaml"}) {
            assertThat(work.resolve(f)).exists();
        }
        JsonNode result = Canonical.JSON.readTree(work.resolve("eval/result.json").toFile());
        assertThat(result.path("results")).hasSize(2);
        assertThat(result.path("router").path("accuracy").asDouble()).isEqualTo(o.get("accuracy").asDouble());
        // calibration data is held out of the classifier's training data and is not the test set
        var cal = Files.readAllLines(work.resolve("split/calibration.jsonl"));
        var train = Files.readAllLines(work.resolve("split/train.jsonl"));
        assertThat(cal).isNotEmpty().doesNotContainAnyElementsOf(train);
        assertThat(Files.readString(work.resolve("router.yaml"))).contains("type: cascade").doesNotContain("min_confidence: 0.5}")
                .contains("min_confidence: " + o.get("min_confidence").asDouble() + "}"); // one number under one name (#13.10)
        assertThat(o.has("threshold")).isFalse();
    }

    @Test
    void badTeacherShareIsAClearError() {
        for (String share : new String[] {"1.5", "-0.1", "NaN"}) {
            String[] r = CliRun.run("demo", "--dataset", DATASET.toString(), "--work", dir.toString(), "--teacher-share", share);
            assertThat(r[0]).isEqualTo("1");
            assertThat(r[2]).contains("--teacher-share must be in [0, 1], got").doesNotContain("at dev.smelt");
        }
    }

    @Test
    void unwritableWorkFolderIsAClearError() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        String[] r = CliRun.run("demo", "--dataset", DATASET.toString(), "--work", file.resolve("sub").toString());
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("--work " + file.resolve("sub")).contains("cannot create or write there").doesNotContain("at dev.smelt");
    }

    @Test
    void tooSmallLimitMissingDatasetAndBadPortAreClearErrors() {
        String[] r = CliRun.run("demo", "--dataset", DATASET.toString(), "--work", dir.toString(), "--limit", "5");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("--limit must be >= 20").contains("got 5");
        r = CliRun.run("demo", "--dataset", dir.resolve("nowhere").toString(), "--work", dir.toString());
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("no task.yaml there");
        r = CliRun.run("demo", "--dataset", DATASET.toString(), "--work", dir.toString(), "--port", "70000");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("--port must be 0..65535, got 70000");
    }

    /** The full demo (10,003 train, 3,080 test): ≥ 98% accuracy with the teacher share calibrated to 25%. Minutes. */
    @Test
    @Tag("slow")
    void fullDemoMeetsTheRoutingTarget() throws Exception {
        String[] r = CliRun.run("demo", "--dataset", DATASET.toString(), "--work", dir.resolve("work").toString(), "--port", "0");
        JsonNode o = onlyJsonLine(r);
        assertInRange(o);
        assertThat(o.get("n").asInt()).isEqualTo(3080);
        // calibrated to 25% on the ~960 held-out examples, then held online as a budget (issue 15): at most 25% + 1 point
        assertThat(o.get("teacher_share").asDouble()).isBetween(0.20, 0.26);
        assertThat(o.get("accuracy").asDouble()).isGreaterThanOrEqualTo(0.98);
    }
}
