package dev.smelt.model.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStoreTest {
    @TempDir
    Path home;

    @Test
    void namesDefaultToLatestAndLibrary() {
        assertThat(ModelName.parse("Tiny").toString()).isEqualTo("tiny:latest");
        assertThat(ModelName.parse("tiny:v2").servedName()).isEqualTo("tiny:v2");
        assertThat(ModelName.parse("tiny").servedName()).isEqualTo("tiny");
        assertThat(ModelName.parse("me/tiny:q4").namespace()).isEqualTo("me");
        assertThat(ModelName.tryParse("models/x.gguf")).isNull();
        assertThat(ModelName.tryParse("hf:a/b/c.gguf")).isNull();
        assertThat(ModelName.tryParse("../etc:x")).isNull();
        assertThat(ModelName.tryParse("a/b/c")).isNull();
        assertThatThrownBy(() -> ModelName.parse("bad name")).hasMessageContaining("'bad name' is not a model name");
    }

    @Test
    void registerLaysOutBlobsAndManifestsLikeOllama() throws Exception {
        ModelStore store = new ModelStore(home);
        Path gguf = TinyGguf.write(home.resolve("tiny.gguf"), 1);
        StoredModel m = store.register(ModelName.parse("tiny"), gguf, ModelStore.Extras.NONE, "test");
        String hex = ModelStore.sha256Hex(gguf);
        assertThat(m.model()).isEqualTo(home.resolve("models/blobs/sha256-" + hex));
        assertThat(Files.mismatch(m.model(), gguf)).isEqualTo(-1L);
        assertThat(m.digest()).isEqualTo("sha256:" + hex);
        assertThat(m.family()).isEqualTo("llama");
        assertThat(m.fileType()).isEqualTo("F32");
        assertThat(home.resolve("models/manifests/library/tiny/latest")).isRegularFile();
        String manifest = Files.readString(home.resolve("models/manifests/library/tiny/latest"));
        assertThat(manifest).contains("\"schemaVersion\":2", Manifest.MODEL, Manifest.CONFIG_TYPE);
        assertThat(store.names()).containsExactly("tiny:latest");
        assertThat(store.find("tiny:latest").model()).isEqualTo(m.model());
        assertThat(store.find("TINY").model()).isEqualTo(m.model());
        assertThat(store.find("other")).isNull();
    }

    @Test
    void copySharesBlobsAndRemoveKeepsThemUntilTheLastName() throws Exception {
        ModelStore store = new ModelStore(home);
        StoredModel a = store.register(ModelName.parse("a"), TinyGguf.write(home.resolve("a.gguf"), 1), ModelStore.Extras.NONE, "t");
        store.copy(ModelName.parse("a"), ModelName.parse("b:v1"));
        assertThat(store.names()).containsExactly("a:latest", "b:v1");
        store.remove(ModelName.parse("a"));
        assertThat(a.model()).exists(); // still named b:v1
        assertThat(store.get(ModelName.parse("b:v1")).model()).isEqualTo(a.model());
        store.remove(ModelName.parse("b:v1"));
        assertThat(a.model()).doesNotExist();
        assertThat(blobs()).isEmpty();
        assertThat(home.resolve("models/manifests/library")).doesNotExist(); // empty folders go too
        assertThatThrownBy(() -> store.remove(ModelName.parse("a"))).isInstanceOf(NoSuchModelException.class)
                .hasMessageContaining("no model 'a:latest'");
        assertThatThrownBy(() -> store.get(ModelName.parse("zzz"))).hasMessageContaining("smelt pull");
    }

    @Test
    void registeringANonGgufFileStoresNothing() throws Exception {
        ModelStore store = new ModelStore(home);
        Path junk = Files.writeString(home.resolve("junk.gguf"), "not a model");
        assertThatThrownBy(() -> store.register(ModelName.parse("junk"), junk, ModelStore.Extras.NONE, "t"))
                .hasMessageContaining(junk + ": not a GGUF model");
        assertThat(store.names()).isEmpty();
        assertThat(blobs()).isEmpty();
    }

    @Test
    void concurrentWritersOfOneNameAndOneBlobLeaveAConsistentStore() throws Exception {
        ModelStore store = new ModelStore(home);
        Path x = TinyGguf.write(home.resolve("x.gguf"), 1);
        Path y = TinyGguf.write(home.resolve("y.gguf"), 2);
        List<Callable<StoredModel>> jobs = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            Path src = i % 2 == 0 ? x : y;
            String name = i % 4 < 2 ? "same" : "other" + i;
            jobs.add(() -> store.register(ModelName.parse(name), src, ModelStore.Extras.NONE, "t"));
            if (i % 5 == 0) {
                jobs.add(() -> {
                    try {
                        store.remove(ModelName.parse("other" + 2));
                    } catch (NoSuchModelException e) {
                        // not written yet
                    }
                    return null;
                });
            }
        }
        try (ExecutorService ex = Executors.newFixedThreadPool(8)) {
            for (Future<StoredModel> f : ex.invokeAll(jobs)) {
                f.get();
            }
        }
        for (String n : store.names()) { // every name reads back, each blob whole
            StoredModel m = store.get(ModelName.parse(n));
            assertThat(ModelStore.sha256Hex(m.model())).isEqualTo(m.digest().substring(7));
        }
        assertThat(store.find("same")).isNotNull();
        assertThat(blobs()).noneMatch(p -> p.getFileName().toString().startsWith(".tmp-"));
    }

    @Test
    void aHalfWrittenTemporaryFileIsInvisibleAndSweptWhenStale() throws Exception {
        ModelStore store = new ModelStore(home);
        store.register(ModelName.parse("a"), TinyGguf.write(home.resolve("a.gguf"), 1), ModelStore.Extras.NONE, "t");
        Path crashed = home.resolve("models/blobs/.tmp-crashed");
        Files.write(crashed, new byte[10]); // what a killed writer leaves
        Files.setLastModifiedTime(crashed, java.nio.file.attribute.FileTime.fromMillis(0));
        Path crashedManifest = home.resolve("models/manifests/library/a/.tmp-x");
        Files.writeString(crashedManifest, "{\"sch");
        assertThat(store.names()).containsExactly("a:latest");
        store.register(ModelName.parse("b"), TinyGguf.write(home.resolve("b.gguf"), 2), ModelStore.Extras.NONE, "t");
        store.remove(ModelName.parse("b"));
        assertThat(crashed).doesNotExist();
        assertThat(store.get(ModelName.parse("a"))).isNotNull();
    }

    @Test
    void aDamagedManifestIsReportedByPath() throws Exception {
        ModelStore store = new ModelStore(home);
        Path mp = home.resolve("models/manifests/library/broken/latest");
        Files.createDirectories(mp.getParent());
        Files.writeString(mp, "{not json");
        assertThatThrownBy(() -> store.get(ModelName.parse("broken"))).hasMessageContaining(mp + ": not a readable manifest");
        assertThat(store.list()).isEmpty();
        assertThat(store.damaged()).singleElement().asString().startsWith("broken:latest: " + mp + ": not a readable manifest");
    }

    @Test
    void aMissingBlobIsNamedWithTheManifest() throws Exception {
        ModelStore store = new ModelStore(home);
        StoredModel m = store.register(ModelName.parse("a"), TinyGguf.write(home.resolve("a.gguf"), 1), ModelStore.Extras.NONE, "t");
        Files.delete(m.model());
        assertThatThrownBy(() -> store.get(ModelName.parse("a"))).isInstanceOf(NoSuchModelException.class)
                .hasMessageContaining("blob " + m.digest()).hasMessageContaining("pull or create the model again");
        assertThatThrownBy(() -> store.find("a")).hasMessageContaining("is missing"); // using the name says what is wrong
        assertThat(store.damaged()).singleElement().asString().contains("blob " + m.digest());
    }

    private List<Path> blobs() throws Exception {
        Path b = home.resolve("models/blobs");
        if (!Files.isDirectory(b)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(b)) {
            return s.toList();
        }
    }
}
