package dev.smelt.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;

/** Canonical JSON (object keys sorted, recursively) and its SHA-256: the cache key of a request. Thread-safe. */
public final class Canonical {
    public static final ObjectMapper JSON = new ObjectMapper();

    private Canonical() {
    }

    /** A copy of {@code node} with object keys sorted at every level. */
    public static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            List<String> names = new ArrayList<>();
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                names.add(it.next());
            }
            names.sort(null);
            ObjectNode o = JSON.createObjectNode();
            for (String n : names) {
                o.set(n, sorted(node.get(n)));
            }
            return o;
        }
        if (node.isArray()) {
            var a = JSON.createArrayNode();
            node.forEach(e -> a.add(sorted(e)));
            return a;
        }
        return node;
    }

    /** Hex SHA-256 of the canonical JSON text. */
    public static String hash(JsonNode node) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(sorted(node).toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JDK", e);
        }
    }
}
