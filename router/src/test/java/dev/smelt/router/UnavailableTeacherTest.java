package dev.smelt.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.client.Canonical;
import dev.smelt.task.DataFile;
import dev.smelt.task.ReplayTeacher;
import dev.smelt.client.TeacherClient;
import dev.smelt.client.TeacherConfig;
import dev.smelt.client.TimeSource;
import dev.smelt.eval.RemoteTarget;
import dev.smelt.server.http.HttpSettings;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The demo's set-up: a cascade from a classifier to the replay teacher STAND-IN, which has no label for inputs outside
 * its dataset. Such a query must not come back as if it had been routed: the answer says the teacher was unavailable.
 */
class UnavailableTeacherTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> ask(int port, String text, boolean stream) throws Exception {
        String body = Canonical.JSON.createObjectNode().put("stream", stream).set("messages", Canonical.JSON.createArrayNode()
                .add(Canonical.JSON.createObjectNode().put("role", "user").put("content", text))).toString();
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aQueryTheReplayStandInCannotLabelSaysTheTeacherWasUnavailable() throws Exception {
        Scripted classifier = new Scripted("classifier", Map.of("card lost", "lost_card", "what is the weather", "card_arrival"),
                Map.of("card lost", 0.99, "what is the weather", 0.2), BigDecimal.ZERO);
        try (ReplayTeacher stand = new ReplayTeacher(List.of(new DataFile.Row(1, "card lost", "lost_card")), "127.0.0.1", 0);
             RemoteTarget teacher = new RemoteTarget("teacher", new TeacherClient(TeacherConfig.of(stand.url(), ReplayTeacher.MODEL),
                     http, TimeSource.SYSTEM, System::getenv), false);
             Router r = new Router("router", Map.of("classifier", classifier, "teacher", teacher),
                     new CascadePolicy("classifier", "teacher", 0.5, null), List.of("teacher"), null, Budget.unlimited());
             RouterServer s = new RouterServer(r, HttpSettings.local(0), "router", Clock.systemUTC())) {
            int port = s.start();

            HttpResponse<String> known = ask(port, "card lost", false);
            assertThat(known.statusCode()).isEqualTo(200);
            assertThat(known.headers().firstValue("X-Smelt-Unavailable")).isEmpty();
            assertThat(Canonical.JSON.readTree(known.body()).path("smelt").has("unavailable")).isFalse();

            HttpResponse<String> unknown = ask(port, "what is the weather", false);
            assertThat(unknown.statusCode()).isEqualTo(200);
            assertThat(unknown.headers().firstValue("X-Smelt-Unavailable")).contains("teacher");
            JsonNode smelt = Canonical.JSON.readTree(unknown.body()).path("smelt");
            assertThat(smelt.path("target").asText()).isEqualTo("classifier");
            assertThat(smelt.path("unavailable").get(0).asText()).isEqualTo("teacher");
            assertThat(smelt.path("warning").asText()).startsWith("teacher unavailable");

            HttpResponse<String> streamed = ask(port, "what is the weather", true);
            List<String> data = streamed.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
            assertThat(Canonical.JSON.readTree(data.get(data.size() - 2)).path("smelt").path("warning").asText()).startsWith("teacher unavailable");
        }
    }

    @Test
    void onlyFailedOrSkippedEscalationsCount() {
        assertThat(RouterServer.unavailable(new dev.smelt.eval.Answer("a", "small", 0.1, 1, 1, BigDecimal.ZERO, 0, false,
                List.of("small", "teacher(error)", "big(budget)")))).containsExactly("teacher", "big");
        assertThat(RouterServer.unavailable(new dev.smelt.eval.Answer("a", "teacher", 0.9, 1, 1, BigDecimal.ZERO, 0, false,
                List.of("small")))).isEmpty();
    }
}
