package dev.smelt.model.store;

import dev.smelt.model.chat.ChatTemplate;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.lora.LoraBase;
import dev.smelt.model.lora.LoraFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code smelt create NAME -f Modelfile} (and Ollama's /api/create): checks what the Modelfile adds against its
 * FROM model before anything is stored (the adapter is read against the base's tensor shapes, the template is
 * rendered once), then stores it. Stateless apart from the store; thread-safe.
 */
public final class StoreCreate {
    private StoreCreate() {
    }

    /** Stores {@code mf} as {@code name}; errors name the Modelfile ({@code where}) and what is wrong. */
    public static StoredModel create(ModelStore store, ModelName name, Modelfile mf, String where) throws IOException {
        StoredModel base = null;
        Path weights;
        if (Files.isRegularFile(mf.fromPath())) {
            weights = mf.fromPath();
        } else {
            base = store.find(mf.from());
            if (base == null) {
                throw new IllegalArgumentException(where + ": FROM " + mf.from() + " is neither a file (" + mf.fromPath()
                        + ") nor a stored model (" + store.inventory() + ")");
            }
            weights = base.model();
        }
        check(weights, mf, where);
        return base == null ? store.register(name, weights, mf.extras(), weights.toAbsolutePath().toString())
                : store.derive(name, base, mf.extras());
    }

    private static void check(Path weights, Modelfile mf, String where) throws IOException {
        if (mf.adapter() != null) {
            try (GgufFile f = GgufFile.open(weights)) {
                LoraFiles.load(mf.adapter(), LoraBase.of(f));
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException(where + ": ADAPTER " + mf.adapter() + " does not fit FROM " + mf.from() + ": " + e.getMessage(), e);
            }
        }
        if (mf.template() != null) {
            try {
                ChatTemplate.of(mf.template(), "", "").render(List.of(Map.of("role", "user", "content", "hi")), List.of(), true);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(where + ": TEMPLATE does not render a one-message chat: " + e.getMessage(), e);
            }
        }
    }
}
