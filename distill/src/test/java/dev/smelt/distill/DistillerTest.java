package dev.smelt.distill;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.client.Canonical;
import dev.smelt.client.FlakyServer;
import dev.smelt.client.Prices;
import dev.smelt.client.TeacherClient;
import dev.smelt.client.TeacherConfig;
import dev.smelt.client.TimeSource;
import dev.smelt.task.DataFile;
import dev.smelt.task.ReplayTeacher;
import dev.smelt.task.TaskSpec;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;

class DistillerTest {
    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void replayTeacherOverHttpGatesAndOutputs() throws Exception {
        Path task = dir.resolve("task.yaml");
        Files.writeString(task, "name: intents\ninstructions: Classify the banking message.\nlabels: [card_arrival, refund, lost_card]\n"
                + "label_field: category\nmax_input_chars: 60\n");
        Path inputs = dir.resolve("in.csv");
        Files.writeString(inputs, """
                text,category
                When will my card arrive?,card_arrival
                I want my money back for this order,refund
                when will my card arrive?,card_arrival
                When will my card arrive??,card_arrival
                ,refund
                I lost my card yesterday at the station and I need a new one as soon as possible,lost_card
                My card is gone,lost_card
                What is the weather,weather
                Not in the replay data at all,refund
                """);
        List<DataFile.Row> labelled = DataFile.read(inputs, "text", "category", true);
        List<DataFile.Row> replay = labelled.stream().filter(r -> !r.input().startsWith("Not in")).toList();
        TaskSpec spec = TaskSpec.load(task);
        try (ReplayTeacher teacher = new ReplayTeacher(replay, "127.0.0.1", 0);
             TeacherClient client = new TeacherClient(TeacherConfig.of(teacher.url(), ReplayTeacher.MODEL).withCache(dir.resolve("out/teacher-cache.jsonl"))
                     .withPrices(Prices.of(1.0, 2.0)), http, TimeSource.SYSTEM, Map.<String, String>of()::get)) {
            List<DataFile.Row> unlabeled = DataFile.read(inputs, "text", null, false);
            Distiller.Result r = Distiller.run(spec, unlabeled, client, s -> { });
            assertThat(r.kept()).extracting(Distiller.Kept::line, Distiller.Kept::label)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(2, "card_arrival"), org.assertj.core.groups.Tuple.tuple(3, "refund"),
                            org.assertj.core.groups.Tuple.tuple(8, "lost_card"));
            assertThat(r.dropCounts()).containsExactlyInAnyOrderEntriesOf(Map.of("duplicate_input", 1, "near_duplicate_input", 1,
                    "empty_input", 1, "input_too_long", 1, "invalid_label", 1, "teacher_error", 1));
            assertThat(r.dropped()).filteredOn(d -> d.reason().equals("teacher_error")).singleElement()
                    .satisfies(d -> assertThat(d.detail()).contains("HTTP 404").contains("no label for this input"));
            assertThat(r.dropped()).filteredOn(d -> d.reason().equals("duplicate_input")).singleElement()
                    .satisfies(d -> assertThat(d.detail()).isEqualTo("same as line 2"));
            assertThat(teacher.served()).isEqualTo(4); // 3 kept + the 'weather' answer rejected by the label gate
            assertThat(r.cost().paidCalls()).isEqualTo(4);

            JsonNode report = DistillOutput.write(dir.resolve("out"), spec, r, new DistillOutput.Source(inputs, task, teacher.url(),
                    ReplayTeacher.MODEL, Prices.of(1.0, 2.0), Instant.parse("2026-01-01T00:00:00Z")));
            assertThat(report.path("kept").asInt()).isEqualTo(3);
            assertThat(report.path("teacher").path("cost_usd").decimalValue())
                    .isEqualByComparingTo(Prices.of(1.0, 2.0).cost(r.cost().paidInputTokens(), r.cost().paidOutputTokens()));
            List<String> classify = Files.readAllLines(dir.resolve("out/classify.jsonl"));
            assertThat(classify).containsExactly("{\"text\":\"When will my card arrive?\",\"label\":\"card_arrival\"}",
                    "{\"text\":\"I want my money back for this order\",\"label\":\"refund\"}", "{\"text\":\"My card is gone\",\"label\":\"lost_card\"}");
            JsonNode first = Canonical.JSON.readTree(Files.readAllLines(dir.resolve("out/train.jsonl")).getFirst());
            assertThat(first.path("messages").path(2).path("content").asText()).isEqualTo("card_arrival");
            assertThat(first.path("messages").path(1).path("content").asText()).isEqualTo("When will my card arrive?");
            assertThat(Files.readAllLines(dir.resolve("out/dropped.jsonl"))).hasSize(6);
            String card = Files.readString(dir.resolve("out/DATA_CARD.md"));
            assertThat(card).contains("| kept | 3 |").contains("| invalid_label | 1 |").contains("| lost_card | 1 |").contains("replay-teacher");
            assertThat(Files.list(dir.resolve("out")).map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void schemaTasksKeepOnlyValidJsonAndTheJudgeDropsLowScores() throws Exception {
        TaskSpec spec = TaskSpec.parse("t", Canonical.JSON.readTree("{\"name\":\"x\",\"instructions\":\"Extract.\",\"judge_min_score\":6,"
                + "\"output_schema\":{\"type\":\"object\",\"required\":[\"city\"],\"properties\":{\"city\":{\"type\":\"string\"}}}}"));
        // the teacher: answers by input; judge prompts (system starts with 'You grade') get a score by answer
        Map<String, String> answers = Map.of("a", "{\"city\":\"Paris\"}", "b", "{\"town\":\"Oslo\"}", "c", "no json here", "d", "{\"city\":\"Rome\"}");
        try (var server = new FlakyServer((in, n) -> FlakyServer.Act.OK)) {
            server.server.removeContext("/v1/chat/completions");
            server.server.createContext("/v1/chat/completions", ex -> {
                try (ex) {
                    JsonNode req = Canonical.JSON.readTree(ex.getRequestBody().readAllBytes());
                    String sys = req.path("messages").path(0).path("content").asText();
                    String user = req.path("messages").path(req.path("messages").size() - 1).path("content").asText();
                    String content = sys.startsWith("You grade") ? (user.contains("Rome") ? "3" : "9/10") : answers.get(user);
                    var o = Canonical.JSON.createObjectNode();
                    o.putArray("choices").addObject().putObject("message").put("content", content);
                    o.putObject("usage").put("prompt_tokens", 10).put("completion_tokens", 2);
                    byte[] b = o.toString().getBytes();
                    ex.sendResponseHeaders(200, b.length);
                    ex.getResponseBody().write(b);
                }
            });
            try (TeacherClient c = new TeacherClient(TeacherConfig.of(server.url(), "m"), http, TimeSource.SYSTEM, Map.<String, String>of()::get)) {
                List<DataFile.Row> rows = List.of(new DataFile.Row(1, "a", null), new DataFile.Row(2, "b", null), new DataFile.Row(3, "c", null),
                        new DataFile.Row(4, "d", null));
                Distiller.Result r = Distiller.run(spec, rows, c, s -> { });
                assertThat(r.kept()).singleElement().satisfies(k -> {
                    assertThat(k.output()).isEqualTo("{\"city\":\"Paris\"}");
                    assertThat(k.judgeScore()).isEqualTo(9);
                });
                assertThat(r.dropped()).extracting(Distiller.Drop::reason).containsExactly("schema_violation", "invalid_json", "low_judge_score");
                assertThat(r.cost().paidCalls()).isEqualTo(4 + 2); // 4 answers, 2 judged
            }
        }
    }
}
