package dev.smelt.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.smelt.client.Canonical;
import dev.smelt.task.DataFile;
import dev.smelt.task.ReplayTeacher;
import dev.smelt.task.TaskSpec;
import dev.smelt.client.TeacherClient;
import dev.smelt.client.TeacherConfig;
import dev.smelt.client.TimeSource;
import dev.smelt.eval.Answer;
import dev.smelt.eval.Query;
import dev.smelt.eval.RemoteTarget;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** Mid-stream fallback over real HTTP: the first endpoint streams part of an answer and hangs up; the replay teacher finishes. */
class HttpFallbackTest {
    @Test
    void aStreamBrokenMidwayContinuesOnTheFallbackEndpoint() throws Exception {
        HttpServer flaky = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        flaky.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        flaky.createContext("/v1/chat/completions", ex -> {
            try (ex) {
                ex.getRequestBody().readAllBytes();
                ex.getResponseHeaders().add("Content-Type", "text/event-stream");
                ex.sendResponseHeaders(200, 0);
                ex.getResponseBody().write("data: {\"choices\":[{\"delta\":{\"content\":\"card_\"}}]}\n\n".getBytes(StandardCharsets.UTF_8));
            } // hangs up without [DONE]
        });
        flaky.start();
        TaskSpec task = TaskSpec.parse("t", Canonical.JSON.readTree("{\"name\":\"t\",\"instructions\":\"Classify.\",\"labels\":[\"card_arrival\",\"refund\"]}"));
        HttpClient http = HttpClient.newHttpClient();
        try (ReplayTeacher replay = new ReplayTeacher(List.of(new DataFile.Row(1, "where is my card", "card_arrival")), "127.0.0.1", 0);
             Router r = new Router("r", Map.of(
                     "small", new RemoteTarget("small", new TeacherClient(TeacherConfig.of("http://127.0.0.1:" + flaky.getAddress().getPort() + "/v1", "s"),
                             http, TimeSource.SYSTEM, Map.<String, String>of()::get), false),
                     "teacher", new RemoteTarget("teacher", new TeacherClient(TeacherConfig.of(replay.url(), ReplayTeacher.MODEL), http,
                             TimeSource.SYSTEM, Map.<String, String>of()::get), false)),
                     new RulesPolicy(List.of(), "small", "teacher"), List.of("teacher"), null, Budget.unlimited())) {
            StringBuilder client = new StringBuilder();
            List<String> restarts = new ArrayList<>();
            Answer a = r.answer(Query.of(task, "1", "where is my card"), client::append, restarts::add);
            assertThat(a.target()).isEqualTo("teacher");
            assertThat(a.escalations()).containsExactly("small(error)");
            assertThat(client).hasToString("card_arrival"); // "card_" once, then only "arrival"
            assertThat(restarts).isEmpty();
        } finally {
            flaky.stop(0);
        }
    }
}
