package dev.smelt.model.store;

import dev.smelt.model.gguf.GgufValue;
import dev.smelt.model.gguf.GgufWriter;
import dev.smelt.tensor.GgmlType;
import java.io.IOException;
import java.nio.file.Path;

/** A small valid GGUF file for store tests (its bytes differ by {@code seed}). */
final class TinyGguf {
    private TinyGguf() {
    }

    static Path write(Path p, int seed) throws IOException {
        byte[] data = new byte[4 * 8 * 4];
        new java.util.Random(seed).nextBytes(data);
        new GgufWriter().put("general.architecture", GgufValue.string("llama")).tensor("blk.0.w", new long[] {8, 4}, GgmlType.F32, data)
                .write(p);
        return p;
    }
}
