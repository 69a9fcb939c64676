package dev.smelt.model.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.model.hub.ModelDownloader;
import dev.smelt.testkit.HubStub;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pulls into the store from a local stand-in for the hub. */
class StorePullTest {
    private static final String REF = "hf:acme/tiny-GGUF/Tiny-Q4.gguf";

    @TempDir
    Path home;
    private HubStub hub;
    private byte[] body;
    private ModelStore store;
    private StorePull pull;

    @BeforeEach
    void start() throws Exception {
        body = Files.readAllBytes(TinyGguf.write(home.resolve("src.gguf"), 7));
        hub = new HubStub().put("acme/tiny-GGUF", "Tiny-Q4.gguf", body);
        store = new ModelStore(home.resolve("smelt"));
        pull = new StorePull(store, new ModelDownloader(HttpClient.newHttpClient(), hub.base(), home.resolve("unused"), false, null));
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    @Test
    void pullStoresUnderTheFileNameWithProgress() throws Exception {
        assertThat(StorePull.defaultName(REF).toString()).isEqualTo("tiny-q4:latest");
        assertThat(StorePull.defaultName("hf:a/b/sub/X Y.gguf@v1").toString()).isEqualTo("x-y:latest");
        long[] last = {0};
        StoredModel m = pull.pull(REF, StorePull.defaultName(REF), (done, total) -> last[0] = done);
        assertThat(Files.readAllBytes(m.model())).isEqualTo(body);
        assertThat(m.digest()).isEqualTo("sha256:" + HubStub.sha256(body));
        assertThat(last[0]).isEqualTo(body.length);
        assertThat(store.names()).containsExactly("tiny-q4:latest");
        assertThat(home.resolve("unused")).doesNotExist();
    }

    @Test
    void anInterruptedPullResumesWithARangeRequest() throws Exception {
        hub.dropNextAfter(body.length / 2);
        assertThatThrownBy(() -> pull.pull(REF, ModelName.parse("t"), null)).isInstanceOf(IOException.class);
        assertThat(store.names()).isEmpty(); // nothing named from a partial file
        StoredModel m = pull.pull(REF, ModelName.parse("t"), null);
        assertThat(hub.resumed()).isEqualTo(1);
        assertThat(Files.readAllBytes(m.model())).isEqualTo(body);
    }

    @Test
    void aShaMismatchStoresNothing() throws Exception {
        hub.announceSha("0".repeat(64));
        assertThatThrownBy(() -> pull.pull(REF, ModelName.parse("t"), null)).hasMessageContaining("SHA-256 mismatch");
        assertThat(store.names()).isEmpty();
        assertThat(store.root().resolve("blobs")).doesNotExist();
    }

    @Test
    void concurrentPullsOfOneFileTakeTurns() throws Exception {
        List<Callable<StoredModel>> jobs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String name = "t" + i;
            jobs.add(() -> pull.pull(REF, ModelName.parse(name), null));
        }
        try (ExecutorService ex = Executors.newFixedThreadPool(4)) {
            for (Future<StoredModel> f : ex.invokeAll(jobs)) {
                assertThat(Files.readAllBytes(f.get().model())).isEqualTo(body);
            }
        }
        assertThat(store.names()).containsExactly("t0:latest", "t1:latest", "t2:latest", "t3:latest");
        assertThat(hub.resumed()).isZero(); // no pull appended to another's partial file
    }

    @Test
    void aFileThatIsNotGgufIsNotStoredNorKept() throws Exception {
        hub.put("acme/tiny-GGUF", "notes.gguf", "just text".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThatThrownBy(() -> pull.pull("hf:acme/tiny-GGUF/notes.gguf", ModelName.parse("n"), null)).hasMessageContaining("not a GGUF model");
        assertThat(store.names()).isEmpty();
        try (var s = Files.walk(store.root())) {
            assertThat(s.filter(Files::isRegularFile).filter(p -> !p.toString().endsWith(".lock")).toList()).isEmpty();
        }
    }

    @Test
    void badReferencesAreRefusedByName() {
        assertThatThrownBy(() -> pull.pull("models/x.gguf", ModelName.parse("t"), null)).hasMessageContaining("not a hub reference");
        assertThatThrownBy(() -> pull.pull("hf:acme/tiny-GGUF/missing.gguf", ModelName.parse("t"), null)).hasMessageContaining("HTTP 404");
    }
}
