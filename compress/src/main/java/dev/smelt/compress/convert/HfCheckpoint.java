package dev.smelt.compress.convert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.model.safetensors.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors weights of a Hugging Face checkpoint directory: {@code model.safetensors}, or the
 * shards listed in {@code model.safetensors.index.json} ({"weight_map": {tensor: shard file}}).
 * Owns the mappings; not thread-safe to close while reading.
 */
public final class HfCheckpoint implements AutoCloseable {
    private final List<SafetensorsFile> files = new ArrayList<>();
    private final Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();

    private HfCheckpoint() {
    }

    public static HfCheckpoint open(Path dir) throws IOException {
        HfCheckpoint c = new HfCheckpoint();
        try {
            Path index = dir.resolve("model.safetensors.index.json");
            Path single = dir.resolve("model.safetensors");
            if (Files.isRegularFile(index)) {
                JsonNode map = HfTokenizerMetadata.parse(index).path("weight_map");
                if (!map.isObject() || map.isEmpty()) {
                    throw new IOException(index + ": field 'weight_map' is missing or empty");
                }
                Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
                var it = map.fields();
                while (it.hasNext()) {
                    var e = it.next();
                    String shard = e.getValue().asText();
                    SafetensorsFile f = shards.get(shard);
                    if (f == null) {
                        Path p = dir.resolve(shard);
                        if (!Files.isRegularFile(p)) {
                            throw new IOException(index + ": weight_map names shard '" + shard + "' (for " + e.getKey() + "), which does not exist");
                        }
                        f = SafetensorsFile.open(p);
                        shards.put(shard, f);
                        c.files.add(f);
                    }
                    if (!f.entries().containsKey(e.getKey())) {
                        throw new IOException(index + ": weight_map puts " + e.getKey() + " in " + shard + ", which does not contain it");
                    }
                    c.byTensor.put(e.getKey(), f);
                }
            } else if (Files.isRegularFile(single)) {
                SafetensorsFile f = SafetensorsFile.open(single);
                c.files.add(f);
                for (String name : f.entries().keySet()) {
                    c.byTensor.put(name, f);
                }
            } else {
                throw new IOException(dir + ": no model.safetensors or model.safetensors.index.json");
            }
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** Tensor names in file order. */
    public List<String> names() {
        return List.copyOf(byTensor.keySet());
    }

    /** The file holding {@code name}, or null. */
    public SafetensorsFile file(String name) {
        return byTensor.get(name);
    }

    @Override
    public void close() {
        for (SafetensorsFile f : files) {
            f.close();
        }
    }
}
