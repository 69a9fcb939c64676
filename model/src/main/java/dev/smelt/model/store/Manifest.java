package dev.smelt.model.store;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A name's manifest, in Ollama's (Docker distribution v2) shape: a config blob and layers, each a blob by
 * SHA-256 digest with its media type. Immutable.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(int schemaVersion, String mediaType, Layer config, List<Layer> layers) {
    public static final String MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String CONFIG_TYPE = "application/vnd.docker.container.image.v1+json";
    /** The GGUF weights. */
    public static final String MODEL = "application/vnd.ollama.image.model";
    /** A GGUF LoRA adapter applied on load. */
    public static final String ADAPTER = "application/vnd.ollama.image.adapter";
    /** The chat template (smelt: Jinja, as GGUF's tokenizer.chat_template). */
    public static final String TEMPLATE = "application/vnd.ollama.image.template";
    /** The default system message. */
    public static final String SYSTEM = "application/vnd.ollama.image.system";
    /** Default request options, a JSON object. */
    public static final String PARAMS = "application/vnd.ollama.image.params";

    /** One blob of a manifest. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Layer(String mediaType, String digest, long size) {
        /** The blob's file name below {@code blobs/}: {@code sha256-HEX} (Ollama's, a ':' is not portable). */
        String fileName() {
            return digest.replace(':', '-');
        }
    }

    public Manifest {
        layers = List.copyOf(layers);
    }

    static Manifest of(Layer config, List<Layer> layers) {
        return new Manifest(2, MANIFEST_TYPE, config, layers);
    }

    /** The first layer of {@code mediaType}, or null. */
    public Layer layer(String mediaType) {
        for (Layer l : layers) {
            if (l.mediaType().equals(mediaType)) {
                return l;
            }
        }
        return null;
    }

    /** Bytes of all layers (what Ollama lists as the model's size). */
    public long totalSize() {
        return layers.stream().mapToLong(Layer::size).sum();
    }
}
