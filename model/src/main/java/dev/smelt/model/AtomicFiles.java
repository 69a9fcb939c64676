package dev.smelt.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Small text files (configs, metadata, model heads, run records) replaced atomically: written to a
 * sibling {@code NAME.tmp}, then renamed over the target, so a reader or a crash sees the old file or
 * the new one, never half of one; the temporary file is removed when writing fails. Stateless.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** Replaces {@code out} with {@code text} (UTF-8). */
    public static void writeString(Path out, String text) throws IOException {
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }
}
