package dev.smelt.model.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Instant;

/**
 * A model in the store, read from its manifest: the GGUF weights and what a Modelfile added (an adapter
 * applied on load, a chat template, a default system message, default request options). Immutable.
 *
 * @param model      the GGUF weights blob
 * @param adapter    a GGUF LoRA adapter blob, or null
 * @param template   a Jinja chat template replacing the file's, or null
 * @param system     the default system message, or null
 * @param parameters default options by Ollama's names ({@code temperature}, {@code stop}...), possibly empty
 * @param family     the architecture ({@code general.architecture}), or "" when unknown
 * @param fileType   the dominant weight type ({@code Q4_0}, {@code F16}...), or "" when unknown
 * @param modified   when the name was last written
 */
public record StoredModel(ModelName name, Manifest manifest, Path model, Path adapter, String template, String system,
                          ObjectNode parameters, String family, String fileType, Instant modified) {
    /** Bytes of all layers. */
    public long size() {
        return manifest.totalSize();
    }

    /** The digest of the manifest's model layer ({@code sha256:HEX}). */
    public String digest() {
        return manifest.layer(Manifest.MODEL).digest();
    }

    /** A short description of the kind of model: "qwen2 Q4_0", "+ adapter" when one is applied. */
    public String type() {
        String t = (family + " " + fileType).trim();
        return (t.isEmpty() ? "gguf" : t) + (adapter != null ? " + adapter" : "");
    }
}
