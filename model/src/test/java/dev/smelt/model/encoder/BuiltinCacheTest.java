package dev.smelt.model.encoder;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuiltinCacheTest {
    /**
     * The cached weights are the same bits, but the Vector API sum reductions round differently before and after C2
     * compiles them, so two embeddings of one text in one JVM can differ in the last bits.
     */
    private static final float JIT_TOLERANCE = 1e-5f;

    static final List<String> TEXTS = List.of("hi", "The cache must give the very same vectors.", "naïve café, 42!");
    static final Embedders.Builtin MINILM = Embedders.builtin(Embedders.DEFAULT);

    static float[][] embed(BertEmbedder e) {
        try (e) {
            return e.embed(TEXTS);
        }
    }

    static List<Path> list(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void aCachedModelGivesTheSameEmbeddingsAndLeavesNoTemporaryFiles(@TempDir Path root) throws Exception {
        BuiltinCache cache = new BuiltinCache(root);
        float[][] fresh = embed(Embedders.openBuiltin(MINILM, 1, new BuiltinCache(null)));
        float[][] first = embed(Embedders.openBuiltin(MINILM, 1, cache)); // parses the ONNX graph, then writes the cache
        Path folder = cache.folder(MINILM);
        assertThat(list(root)).containsExactly(folder);
        assertThat(folder.getFileName().toString()).startsWith("all-minilm-l6-v2-").endsWith("-v" + BuiltinCache.FORMAT);
        BertEmbedder fromCache = cache.open(MINILM, folder, 1);
        assertThat(fromCache).as("second open reads the cache").isNotNull();
        float[][] cached = embed(fromCache);
        for (int i = 0; i < TEXTS.size(); i++) {
            assertThat(first[i]).as("text %d, ONNX path with caching on", i).containsExactly(fresh[i], org.assertj.core.data.Offset.offset(JIT_TOLERANCE));
            assertThat(cached[i]).as("text %d, read back from the cache", i).containsExactly(fresh[i], org.assertj.core.data.Offset.offset(JIT_TOLERANCE));
        }
    }

    @Test
    void aDamagedCacheIsRemovedAndRebuilt(@TempDir Path root) throws Exception {
        BuiltinCache cache = new BuiltinCache(root);
        embed(Embedders.openBuiltin(MINILM, 1, cache));
        Path folder = cache.folder(MINILM);
        try (FileChannel c = FileChannel.open(folder.resolve("model.safetensors"), StandardOpenOption.WRITE)) {
            c.truncate(c.size() / 2);
        }
        assertThat(cache.open(MINILM, folder, 1)).isNull();
        assertThat(folder).doesNotExist();
        embed(Embedders.openBuiltin(MINILM, 1, cache));
        assertThat(cache.open(MINILM, folder, 1)).isNotNull().satisfies(BertEmbedder::close);
    }

    @Test
    void theLocationFollowsTheEnvironment() throws Exception {
        assertThat(BuiltinCache.fromEnvironment(Map.of("SMELT_DERIVED_CACHE", "off")).folder(MINILM)).isNull();
        assertThat(BuiltinCache.fromEnvironment(Map.of("SMELT_DERIVED_CACHE", "/x")).folder(MINILM).getParent()).isEqualTo(Path.of("/x"));
        assertThat(BuiltinCache.fromEnvironment(Map.of("SMELT_CACHE", "/m")).folder(MINILM).getParent()).isEqualTo(Path.of("/m/.derived"));
        assertThat(BuiltinCache.fromEnvironment(Map.of()).folder(MINILM).getParent())
                .isEqualTo(Path.of(System.getProperty("user.home"), ".cache", "smelt", "derived"));
    }
}
