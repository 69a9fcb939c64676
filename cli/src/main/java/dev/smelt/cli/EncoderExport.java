package dev.smelt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.compress.convert.BertGgufExporter;
import dev.smelt.model.encoder.BertEmbedder;
import dev.smelt.model.encoder.Embedders;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** {@code smelt quantize ENCODER OUT.gguf --type T}: a BERT encoder written as a llama.cpp bert GGUF. Stateless. */
final class EncoderExport {
    private EncoderExport() {
    }

    /** A built-in embedder name, an .onnx file, or a directory whose config.json says model_type bert. */
    static boolean isEncoder(Path input) {
        String s = input.toString();
        if (Embedders.builtinName(s) != null && !Files.exists(input)) {
            return true;
        }
        if (s.endsWith(".onnx") && Files.isRegularFile(input)) {
            return true;
        }
        Path cfg = input.resolve("config.json");
        if (Files.isDirectory(input) && Files.isRegularFile(cfg)) {
            try {
                return new ObjectMapper().readTree(cfg.toFile()).path("model_type").asText("").equals("bert");
            } catch (IOException e) {
                return false; // the decoder converter reports the malformed file
            }
        }
        return false;
    }

    static int run(Path input, Path output, String typeName, int threads) throws IOException {
        GgmlType type;
        try {
            type = GgmlType.valueOf(typeName.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            type = null;
        }
        if (type == null || !BertGgufExporter.TYPES.contains(type)) {
            throw new IllegalArgumentException("--type " + typeName + " is not available for an encoder; choose one of "
                    + BertGgufExporter.TYPES);
        }
        if (input.toAbsolutePath().normalize().equals(output.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("output " + output + " must differ from the input");
        }
        int n = threads;
        try (BertEmbedder e = Embedders.open(input.toString(), n); ThreadPool pool = new ThreadPool(n)) {
            BertGgufExporter.export(e, type, output, pool);
            System.err.printf("wrote %s: bert encoder %s, %d layers, pooling %s, %s, %.1f MiB%n", output, e.name(),
                    e.config().layers(), e.config().pooling().name().toLowerCase(Locale.ROOT), type, Files.size(output) / 1048576.0);
        }
        return 0;
    }
}
