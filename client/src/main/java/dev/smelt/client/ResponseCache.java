package dev.smelt.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Append-only on-disk cache of teacher responses, so a crash or Ctrl-C loses nothing already paid for
 * and a rerun never asks again.
 *
 * <p>File format: UTF-8 JSON Lines, one record per line, {@code {"key": HEX_SHA256, "response": {...}}}
 * where key is {@link Canonical#hash} of the request body and response is the server's JSON verbatim.
 * Each record is written with one {@code write} and forced to disk ({@code fsync}) before the call
 * returns. A crash mid-write leaves at most one torn last line (no newline at the end): it is ignored
 * on open and cut off before the next append. A bad line anywhere else is corruption and is reported
 * with its line number. The first record of a key wins (a key is written once).
 *
 * <p>One process at a time: the file is locked while open. Thread-safe: lookups are lock-free, appends are serialized.
 */
public final class ResponseCache implements AutoCloseable {
    private final Path file;
    private final Map<String, JsonNode> entries = new ConcurrentHashMap<>();
    private final FileChannel channel;
    private final int tornBytesDropped;

    private ResponseCache(Path file, FileChannel channel, int tornBytesDropped) {
        this.file = file;
        this.channel = channel;
        this.tornBytesDropped = tornBytesDropped;
    }

    /** Opens (creating when absent) the cache at {@code file}, loading every complete record. */
    public static ResponseCache open(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            java.nio.channels.FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new IOException(file + ": the cache is in use by another run (two writers would interleave records)");
            }
            byte[] all = Files.readAllBytes(file);
            int lastNewline = -1;
            for (int i = all.length - 1; i >= 0; i--) {
                if (all[i] == '\n') {
                    lastNewline = i;
                    break;
                }
            }
            int good = lastNewline + 1;
            ResponseCache c = new ResponseCache(file, ch, all.length - good);
            c.load(new String(all, 0, good, StandardCharsets.UTF_8));
            if (good < all.length) {
                ch.truncate(good); // the torn tail of a record that never finished
            }
            ch.position(good);
            return c;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private void load(String text) throws IOException {
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode rec;
            try {
                rec = Canonical.JSON.readTree(line);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IOException(file + ":" + lineNo + ": corrupt cache record (not JSON): " + e.getOriginalMessage());
            }
            if (!rec.path("key").isTextual() || !rec.path("response").isObject()) {
                throw new IOException(file + ":" + lineNo + ": corrupt cache record (needs 'key' string and 'response' object)");
            }
            entries.putIfAbsent(rec.get("key").asText(), rec.get("response"));
        }
    }

    public JsonNode get(String key) {
        return entries.get(key);
    }

    public int size() {
        return entries.size();
    }

    /** Bytes of a torn last record cut off when the cache was opened (0 after a clean shutdown). */
    public int tornBytesDropped() {
        return tornBytesDropped;
    }

    /** Appends and fsyncs a record; a key already present is not written again. */
    public synchronized void put(String key, JsonNode response) throws IOException {
        if (entries.containsKey(key)) {
            return;
        }
        ObjectNode rec = Canonical.JSON.createObjectNode().put("key", key);
        rec.set("response", response);
        ByteBuffer buf = ByteBuffer.wrap((rec + "\n").getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
        channel.force(false);
        entries.put(key, response);
    }

    public Path file() {
        return file;
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }
}
