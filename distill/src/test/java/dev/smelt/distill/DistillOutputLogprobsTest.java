package dev.smelt.distill;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.client.Canonical;
import dev.smelt.client.CostMeter;
import dev.smelt.client.Prices;
import dev.smelt.client.TeacherResponse;
import dev.smelt.task.TaskSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;

/** train.jsonl carries the teacher's logprobs on the assistant message, in OpenAI's shape, when they spell the kept answer. */
class DistillOutputLogprobsTest {
    static TeacherResponse.TokenLogprob tok(String t, double lp) {
        return new TeacherResponse.TokenLogprob(t, lp, List.of(new TeacherResponse.Alternative(t, lp), new TeacherResponse.Alternative("x", -3.0)));
    }

    @Test
    void assistantMessageGetsLogprobsOnlyWhenTheyDescribeTheAnswer(@TempDir Path dir) throws Exception {
        TaskSpec spec = TaskSpec.parse("t", Canonical.JSON.readTree("{\"name\":\"x\",\"instructions\":\"Classify.\",\"labels\":[\"card_arrival\",\"refund\"]}"));
        List<Distiller.Kept> kept = List.of(
                new Distiller.Kept(2, "where is my card", "card_arrival", "card_arrival", List.of(tok("card", -0.1), tok("_arrival", -0.2)), null),
                // the teacher wrote "Refund." and the label gate normalized it: its tokens no longer describe the stored answer
                new Distiller.Kept(3, "money back", "refund", "refund", List.of(tok("Ref", -0.1), tok("und.", -0.3)), null),
                new Distiller.Kept(4, "card?", "card_arrival", "card_arrival", List.of(), null));
        Distiller.Result r = new Distiller.Result(3, kept, List.of(), new CostMeter(Prices.of(0, 0)).snapshot());
        Files.writeString(dir.resolve("in.csv"), "text\nwhere is my card\nmoney back\ncard?\n");
        Files.writeString(dir.resolve("task.yaml"), "name: x\n");
        DistillOutput.write(dir.resolve("out"), spec, r, new DistillOutput.Source(dir.resolve("in.csv"), dir.resolve("task.yaml"), "http://teacher", "m",
                Prices.of(0, 0), Instant.parse("2026-01-01T00:00:00Z")));
        List<String> lines = Files.readAllLines(dir.resolve("out/train.jsonl"));
        JsonNode a = Canonical.JSON.readTree(lines.get(0)).path("messages").path(2);
        assertThat(a.path("logprobs").path("content")).hasSize(2);
        assertThat(a.path("logprobs").path("content").path(1).path("token").asText()).isEqualTo("_arrival");
        assertThat(a.path("logprobs").path("content").path(1).path("logprob").asDouble()).isEqualTo(-0.2);
        assertThat(a.path("logprobs").path("content").path(0).path("top_logprobs").path(1).path("token").asText()).isEqualTo("x");
        assertThat(Canonical.JSON.readTree(lines.get(1)).path("messages").path(2).has("logprobs")).isFalse();
        assertThat(Canonical.JSON.readTree(lines.get(2)).path("messages").path(2).has("logprobs")).isFalse();
    }
}
