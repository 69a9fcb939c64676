package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.model.classify.TextClassifier;
import dev.smelt.server.http.ApiException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Classifiers load on first use and close after their keep-alive, never while leased (manual clock, explicit sweeps). */
class ClassifierModelsTest {
    @TempDir
    Path tmp;

    @Test
    void loadsOnFirstUseAndUnloadsAfterTheKeepAlive() throws Exception {
        Path dir = tmp.resolve("intents");
        ClassifyHttpTest.head(0).save(dir);
        AtomicLong now = new AtomicLong();
        AtomicInteger opens = new AtomicInteger();
        try (ClassifierModels m = new ClassifierModels(List.of("intents"), Map.of(), name -> {
            opens.incrementAndGet();
            return TextClassifier.open(dir, 1);
        }, Duration.ofSeconds(10), now::get, false)) {
            assertThat(m.isLoaded("intents")).isFalse();
            try (ClassifierModels.Lease l = m.acquire("intents")) {
                assertThat(l.classifier().labels()).isEqualTo(ClassifyHttpTest.LABELS);
                now.addAndGet(Duration.ofSeconds(60).toNanos());
                m.sweep();
                assertThat(m.isLoaded("intents")).as("leased: kept past the keep-alive").isTrue();
            }
            now.addAndGet(Duration.ofSeconds(9).toNanos());
            m.sweep();
            assertThat(m.isLoaded("intents")).as("idle 9 s of 10").isTrue();
            now.addAndGet(Duration.ofSeconds(1).toNanos());
            m.sweep();
            assertThat(m.isLoaded("intents")).as("idle 10 s").isFalse();
            try (ClassifierModels.Lease l = m.acquire(null)) { // the only classifier
                assertThat(l.name()).isEqualTo("intents");
            }
            assertThat(opens).as("opened again after the unload").hasValue(2);
        }
    }

    @Test
    void zeroKeepAliveClosesAfterTheLastRequestAndBadLoadsAre500() throws Exception {
        Path dir = tmp.resolve("intents");
        ClassifyHttpTest.head(0).save(dir);
        try (ClassifierModels m = new ClassifierModels(List.of("intents", "broken"), Map.of(),
                name -> TextClassifier.open(name.equals("intents") ? dir : tmp.resolve("missing"), 1), Duration.ZERO, System::nanoTime, false)) {
            ClassifierModels.Lease a = m.acquire("intents");
            ClassifierModels.Lease b = m.acquire("intents");
            a.close();
            assertThat(m.isLoaded("intents")).as("one request still running").isTrue();
            b.close();
            b.close(); // idempotent
            assertThat(m.isLoaded("intents")).isFalse();
            assertThatThrownBy(() -> m.acquire("broken")).isInstanceOfSatisfying(ApiException.class, e -> {
                assertThat(e.status()).isEqualTo(500);
                assertThat(e.getMessage()).contains("broken").contains("not a classifier directory");
            });
            assertThatThrownBy(() -> m.acquire(null)).isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(404));
        }
        assertThatThrownBy(() -> new ClassifierModels(List.of("a"), Map.of("b", "c"), n -> null, Duration.ZERO))
                .hasMessageContaining("'c'");
    }
}
