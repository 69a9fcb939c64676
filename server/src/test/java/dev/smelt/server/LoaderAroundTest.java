package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.store.ModelStore;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A loader decorated around its load keeps everything else the inner loader answers. */
class LoaderAroundTest {
    @Test
    void everyMethodButLoadIsForwarded() throws Exception {
        ModelStore store = new ModelStore(Path.of("unused"));
        AtomicInteger forgotten = new AtomicInteger();
        ModelRegistry.Loader inner = new ModelRegistry.Loader() {
            @Override
            public ServedModel load(String name) {
                throw new AssertionError("the decorator loads");
            }

            @Override
            public Path file(String name) {
                return Path.of(name + ".gguf");
            }

            @Override
            public List<String> adapters(String name) {
                return List.of("a");
            }

            @Override
            public Path adapterFile(String name, String adapter) {
                return Path.of(adapter);
            }

            @Override
            public String discover(String requested) {
                return "found-" + requested;
            }

            @Override
            public void forget(String name) {
                forgotten.incrementAndGet();
            }

            @Override
            public ModelStore store() {
                return store;
            }
        };
        AtomicInteger loads = new AtomicInteger();
        ModelRegistry.Loader l = ModelRegistry.Loader.around(inner, name -> {
            loads.incrementAndGet();
            return null;
        });
        l.load("x");
        assertThat(loads).hasValue(1);
        assertThat(l.file("m")).isEqualTo(Path.of("m.gguf"));
        assertThat(l.adapters("m")).containsExactly("a");
        assertThat(l.adapterFile("m", "a")).isEqualTo(Path.of("a"));
        assertThat(l.discover("q")).isEqualTo("found-q");
        l.forget("q");
        assertThat(forgotten).hasValue(1);
        assertThat(l.store()).isSameAs(store);
        assertThat(l.stored("q")).isNull();
    }
}
