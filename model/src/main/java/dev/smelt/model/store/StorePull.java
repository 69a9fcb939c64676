package dev.smelt.model.store;

import dev.smelt.model.hub.ModelDownloader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;

/**
 * {@code smelt pull hf:OWNER/REPO/FILE.gguf[@REV]}: downloads into the store's partial folder with
 * {@link ModelDownloader} (resumable with Range requests, size and SHA-256 checked against what the hub
 * sends), then moves the finished file into a blob and names it. Two pulls of one file, in this process or
 * another, take turns on a lock of that download (the second finds the file done, or resumes it); pulls of
 * different files run side by side. Thread-safe.
 */
public final class StorePull {
    private final ModelStore store;
    private final ModelDownloader downloader;

    /** @param downloader the hub settings (base URL, token, offline); its cache folder is not used */
    public StorePull(ModelStore store, ModelDownloader downloader) {
        this.store = store;
        this.downloader = downloader.withCache(store.downloads());
    }

    /** The name a pull without {@code --name} stores {@code ref} under: the file name without {@code .gguf}, lower-case, {@code :latest}. */
    public static ModelName defaultName(String ref) {
        String s = ref.contains("@") ? ref.substring(0, ref.lastIndexOf('@')) : ref;
        String file = s.substring(s.lastIndexOf('/') + 1).replaceFirst("(?i)\\.gguf$", "").toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9._-]", "-").replaceFirst("^[^a-z0-9]+", "");
        if (file.length() > 80) {
            file = file.substring(0, 80);
        }
        return ModelName.parse(file.isEmpty() ? "model" : file);
    }

    /** Downloads {@code ref} (an {@code hf:} reference) and stores it as {@code name}. */
    public StoredModel pull(String ref, ModelName name, ModelDownloader.Progress progress) throws IOException, InterruptedException {
        if (!ModelDownloader.isRemote(ref)) {
            throw new IllegalArgumentException("'" + ref + "' is not a hub reference: pull takes hf:OWNER/REPO/FILE.gguf[@REVISION] "
                    + "(store a local file with smelt create NAME -f Modelfile, FROM the file)");
        }
        Path lockFile = store.downloads().resolve("locks").resolve(hex(ref) + ".lock");
        try (StoreLock lock = StoreLock.acquire(lockFile)) {
            Path done = downloader.resolve(ref, progress);
            try {
                return store.registerMoving(name, done, ref);
            } catch (IOException e) {
                java.nio.file.Files.deleteIfExists(done); // e.g. not a GGUF file: the next pull downloads again instead of failing the same way
                throw e;
            }
        }
    }

    private static String hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
