package dev.smelt.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.client.Canonical;
import dev.smelt.task.DataFile;
import dev.smelt.task.TaskSpec;
import dev.smelt.testkit.SharedData;
import java.util.List;
import org.junit.jupiter.api.Test;

class LocalModelTargetTest {
    @Test
    void aLocalGgufModelAnswersGsm8kAndIsScored() throws Exception {
        var model = SharedData.model("shakespeare.gguf");
        TaskSpec task = TaskSpec.parse("gsm8k", Canonical.JSON.readTree("{\"name\":\"gsm8k\",\"instructions\":\"Solve. End with #### N.\","
                + "\"input_field\":\"question\",\"label_field\":\"answer\",\"metric\":\"numeric\",\"max_tokens\":8}"));
        List<DataFile.Row> rows = List.of(new DataFile.Row(1, "What is 2 + 3?", "#### 5"), new DataFile.Row(2, "ROMEO:", "#### 7"));
        try (LocalModelTarget t = new LocalModelTarget("shakespeare", model, 1, 512)) {
            List<EvalRecord> rs = EvalRunner.run(t, task, rows, 4, s -> { });
            assertThat(rs).hasSize(2).allSatisfy(r -> {
                assertThat(r.error()).isNull();
                assertThat(r.answeredBy()).isEqualTo("shakespeare");
                assertThat(r.outputTokens()).isBetween(1L, 8L);
                assertThat(r.inputTokens()).isGreaterThan(5);
                assertThat(r.confidence()).isGreaterThan(0).isLessThanOrEqualTo(1);
                assertThat(r.costUsd()).isZero();
                // scoring is consistent with the extracted number, whatever the random-ish model wrote
                boolean expect = Scoring.extractNumber(r.answer()).map(n -> n.compareTo(Scoring.extractNumber(r.expected()).orElseThrow()) == 0)
                        .orElse(false);
                assertThat(r.correct()).isEqualTo(expect);
            });
            // greedy decoding is deterministic
            assertThat(t.answer(Query.of(task, "x", "ROMEO:")).text()).isEqualTo(rs.get(1).answer());
        }
    }
}
