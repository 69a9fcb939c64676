package dev.smelt.distill;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.client.Canonical;
import dev.smelt.client.FlakyServer;
import dev.smelt.client.TeacherClient;
import dev.smelt.client.TeacherConfig;
import dev.smelt.client.TimeSource;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SelfInstructTest {
    @TempDir
    Path dir;

    @Test
    void rougeLByHand() {
        // candidate "the cat sat on the mat" (6), reference "the cat lay on a mat" (6): LCS the,cat,on,mat = 4 → P = R = F = 2/3
        assertThat(SelfInstruct.rougeL("The cat sat on the mat.", "the cat lay on a mat")).isCloseTo(2.0 / 3, within(1e-12));
        // "a b c d" vs "a b": LCS 2, P 1/2, R 1 → F 2/3
        assertThat(SelfInstruct.rougeL("a b c d", "a b")).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(SelfInstruct.rougeL("x y", "z")).isZero();
        assertThat(SelfInstruct.parse(" Write a poem.\n10. Sort these numbers: 3, 1.\n11) Name a color")).containsExactly("Write a poem.",
                "Sort these numbers: 3, 1.", "Name a color");
    }

    @Test
    void generatesFiltersAndAnswersThroughATeacher() throws Exception {
        List<String> seeds = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            seeds.add("Seed task number " + i + " about topic " + (char) ('a' + i));
        }
        Path seedFile = dir.resolve("seeds.jsonl");
        StringBuilder sb = new StringBuilder();
        seeds.forEach(s -> sb.append(Canonical.JSON.createObjectNode().put("instruction", s)).append('\n'));
        Files.writeString(seedFile, sb);
        assertThat(SelfInstruct.readSeeds(seedFile)).isEqualTo(seeds);
        try (var server = new FlakyServer((in, n) -> FlakyServer.Act.OK)) {
            server.server.removeContext("/v1/chat/completions");
            server.server.createContext("/v1/chat/completions", ex -> {
                try (ex) {
                    JsonNode req = Canonical.JSON.readTree(ex.getRequestBody().readAllBytes());
                    String user = req.path("messages").path(0).path("content").asText();
                    String content = user.startsWith("Come up with") ? " Translate the sentence into French.\n"
                            + "10. Translate the sentence into French please.\n11. Draw a picture of a cat.\n12. Hi\n"
                            + "13. Seed task number 1 about topic b\n14. List three prime numbers below twenty."
                            : "Answer to: " + user;
                    var o = Canonical.JSON.createObjectNode();
                    o.putArray("choices").addObject().putObject("message").put("content", content);
                    o.putObject("usage").put("prompt_tokens", 10).put("completion_tokens", 5);
                    byte[] b = o.toString().getBytes();
                    ex.sendResponseHeaders(200, b.length);
                    ex.getResponseBody().write(b);
                }
            });
            try (TeacherClient c = new TeacherClient(TeacherConfig.of(server.url(), "m"), HttpClient.newHttpClient(), TimeSource.SYSTEM,
                    Map.<String, String>of()::get)) {
                SelfInstruct.Result r = SelfInstruct.run(seeds, 10, c, 1, 64, s -> { });
                assertThat(r.kept()).extracting(SelfInstruct.Candidate::instruction)
                        .containsExactly("Translate the sentence into French.", "List three prime numbers below twenty.");
                assertThat(r.kept().getFirst().answer()).isEqualTo("Answer to: Translate the sentence into French.");
                assertThat(r.candidates()).extracting(SelfInstruct.Candidate::reason).contains("similar_instruction", "unsupported_modality", "too_short");
                JsonNode rep = SelfInstruct.write(dir.resolve("out"), r, seedFile, server.url(), "m");
                assertThat(rep.path("kept").asInt()).isEqualTo(2);
                assertThat(Files.readAllLines(dir.resolve("out/train.jsonl"))).hasSize(2);
                assertThat(Files.readString(dir.resolve("out/DATA_CARD.md"))).contains("| kept (answered) | 2 |");
            }
        }
    }
}
