package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.server.http.RequestLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelLoadLogTest {
    /** A clock that moves 1.5 s each time it is read for millis. */
    static final class Stepping extends Clock {
        long millis;

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
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public long millis() {
            long m = millis;
            millis += 1500;
            return m;
        }
    }

    @Test
    void eachLoadIsLoggedWithItsSizeAndDuration(@TempDir Path dir) throws Exception {
        Path gguf = dir.resolve("tiny.gguf");
        Files.write(gguf, new byte[2048]);
        ServedModels s = ServedModels.resolve(List.of(gguf), List.of(), List.of(), p -> p);
        List<String> lines = new ArrayList<>();
        Clock clock = new Stepping();
        String name = s.names().getFirst();
        s.logged(n -> null, new RequestLog(clock, lines::add), clock).load(name);
        assertThat(lines).hasSize(2);
        ObjectMapper json = new ObjectMapper();
        JsonNode before = json.readTree(lines.get(0));
        JsonNode after = json.readTree(lines.get(1));
        assertThat(before.path("event").asText()).isEqualTo("model_loading");
        assertThat(before.path("model").asText()).isEqualTo(name);
        assertThat(before.path("bytes").asLong()).isEqualTo(2048);
        assertThat(after.path("event").asText()).isEqualTo("model_loaded");
        assertThat(after.path("seconds").asDouble()).isEqualTo(1.5);
    }
}
