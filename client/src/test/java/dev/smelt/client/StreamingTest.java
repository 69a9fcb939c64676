package dev.smelt.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.client.FlakyServer.Act;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamingTest {
    @TempDir
    Path dir;

    private final FakeTime time = new FakeTime();

    private TeacherClient client(FlakyServer s) throws Exception {
        TeacherConfig c = TeacherConfig.of(s.url(), "m").withCache(dir.resolve("c.jsonl"))
                .withRetry(new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(100), Duration.ofSeconds(10), new SplittableRandom(1)),
                        Duration.ofSeconds(5)).withPrices(Prices.of(1, 1));
        return new TeacherClient(c, HttpClient.newHttpClient(), time, Map.<String, String>of()::get);
    }

    @Test
    void deltasArriveInOrderAndTheAssembledAnswerIsCachedForBothPaths() throws Exception {
        try (FlakyServer s = new FlakyServer((in, a) -> a == 0 ? Act.ERROR_500 : Act.STREAM_OK); TeacherClient c = client(s)) {
            List<String> deltas = new ArrayList<>();
            var body = c.newRequest(List.of(Map.of("role", "user", "content", "in1")), 8, null);
            TeacherResponse r = c.stream(body, deltas::add);
            assertThat(deltas).containsExactly("label:", "in1");
            assertThat(r.content()).isEqualTo("label:in1");
            assertThat(r.promptTokens()).isEqualTo(3);
            assertThat(c.meter().snapshot().retries()).isEqualTo(1); // the 500 before any byte was retried
            // the non-streaming call with the same body is answered from the cache
            TeacherResponse again = c.complete(c.newRequest(List.of(Map.of("role", "user", "content", "in1")), 8, null));
            assertThat(again.cached()).isTrue();
            assertThat(again.content()).isEqualTo("label:in1");
        }
    }

    @Test
    void aStreamThatBreaksAfterTextIsNotRetriedAndSaysWhatWasDelivered() throws Exception {
        for (Act act : new Act[] {Act.STREAM_BREAK, Act.STREAM_ERROR_EVENT}) {
            try (FlakyServer s = new FlakyServer((in, a) -> act); TeacherClient c = client(s)) {
                StringBuilder seen = new StringBuilder();
                assertThatThrownBy(() -> c.stream(c.newRequest(List.of(Map.of("role", "user", "content", "in2")), 8, null), seen::append))
                        .isInstanceOf(TeacherClient.StreamBrokenException.class)
                        .satisfies(e -> assertThat(((TeacherClient.StreamBrokenException) e).emitted()).isEqualTo("label:"));
                assertThat(seen).hasToString("label:");
                assertThat(s.attempts.get("in2")).hasValue(1);
            }
        }
    }
}
