package dev.smelt.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.smelt.client.Canonical;
import dev.smelt.task.TaskSpec;
import dev.smelt.client.TeacherClient;
import dev.smelt.client.TeacherConfig;
import dev.smelt.client.TimeSource;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JudgeTest {
    @Test
    void gradesComeFromTheJudgesFirstNumberAndAverageOverJudgedExamples() throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/v1/chat/completions", ex -> {
            try (ex) {
                JsonNode req = Canonical.JSON.readTree(ex.getRequestBody().readAllBytes());
                String user = req.path("messages").path(1).path("content").asText();
                String grade = user.endsWith("Paris") ? "9/10" : user.endsWith("Lyon") ? "Score: 2" : "no idea";
                var o = Canonical.JSON.createObjectNode();
                o.putArray("choices").addObject().putObject("message").put("content", grade);
                byte[] b = o.toString().getBytes();
                ex.sendResponseHeaders(200, b.length);
                ex.getResponseBody().write(b);
            }
        });
        s.start();
        TaskSpec task = TaskSpec.parse("t", Canonical.JSON.readTree("{\"name\":\"t\",\"instructions\":\"Name the capital.\"}"));
        try (TeacherClient c = new TeacherClient(TeacherConfig.of("http://127.0.0.1:" + s.getAddress().getPort() + "/v1", "judge"),
                HttpClient.newHttpClient(), TimeSource.SYSTEM, Map.<String, String>of()::get)) {
            List<EvalRecord> rs = List.of(rec("1", "Paris"), rec("2", "Lyon"), rec("3", "Nice"));
            List<EvalRecord> graded = new Judge(c).grade(task, rs);
            assertThat(graded).extracting(EvalRecord::judgeScore).containsExactly(9.0, 2.0, Double.NaN);
            Metrics m = Metrics.of(graded, List.of());
            assertThat(m.judgeMean()).isEqualTo(5.5);
            assertThat(m.judged()).isEqualTo(2);
            assertThat(EvalReport.json(new EvalReport.Evaluated("x", "t", "exact", m), false).path("judge_mean").asDouble()).isEqualTo(5.5);
        } finally {
            s.stop(0);
        }
    }

    private static EvalRecord rec(String id, String answer) {
        return new EvalRecord(id, "capital of France?", "Paris", answer, answer, answer.equals("Paris"), 0, true, "t", 1, 1, 1, BigDecimal.ZERO,
                Double.NaN, null);
    }
}
