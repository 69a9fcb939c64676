package dev.smelt.server.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The bearer keys a server accepts, kept only as SHA-256 digests and compared in constant time: every
 * presented key is hashed and checked against every accepted digest with {@link MessageDigest#isEqual},
 * so neither the position of the first differing byte nor which key matched shows in the timing, and
 * fixed-length digests hide the keys' lengths. Blank keys are refused at construction: an empty key
 * would make an "authenticated" server open to anyone who sends an empty header. Immutable, thread-safe.
 */
public final class ApiKeys {
    /** The environment variable serve and route read a key from. */
    public static final String ENV = "SMELT_API_KEY";

    private final List<byte[]> digests;

    private ApiKeys(List<byte[]> digests) {
        this.digests = List.copyOf(digests);
    }

    /** No keys: every request is accepted (allowed on loopback only, see {@link HttpSettings#validate}). */
    public static ApiKeys none() {
        return new ApiKeys(List.of());
    }

    /**
     * @param source where the keys came from, for the error message (e.g. "--api-key")
     * @throws IllegalArgumentException for a blank key, naming its source
     */
    public static ApiKeys of(Collection<String> keys, String source) {
        List<byte[]> d = new ArrayList<>();
        for (String k : keys) {
            d.add(digest(checked(k, source)));
        }
        return new ApiKeys(d);
    }

    /**
     * Keys from every source the CLI offers: {@code --api-key} flags, the {@value #ENV} variable (when set)
     * and a key file (one key per line; blank lines and {@code #} comments skipped), each refused when blank.
     *
     * @param keyFile null when none was given
     * @throws IllegalArgumentException naming the source of a blank key or an unreadable file
     */
    public static ApiKeys resolve(List<String> flags, Map<String, String> env, Path keyFile) {
        List<byte[]> d = new ArrayList<>();
        for (String k : collect(flags, env, keyFile)) {
            d.add(digest(k));
        }
        return new ApiKeys(d);
    }

    /** The keys {@link #resolve} accepts, as text (for settings that hold them), checked the same way. */
    public static List<String> collect(List<String> flags, Map<String, String> env, Path keyFile) {
        List<String> out = new ArrayList<>();
        for (String k : flags) {
            out.add(checked(k, "--api-key"));
        }
        String e = env.get(ENV);
        if (e != null) {
            out.add(checked(e, "the environment variable " + ENV));
        }
        if (keyFile != null) {
            List<String> lines;
            try {
                lines = Files.readAllLines(keyFile, StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException ex) {
                throw new IllegalArgumentException("--api-key-file " + keyFile + " cannot be read: " + ex.getMessage());
            }
            int before = out.size();
            for (String line : lines) {
                String k = line.strip();
                if (!k.isEmpty() && !k.startsWith("#")) {
                    out.add(k);
                }
            }
            if (out.size() == before) {
                throw new IllegalArgumentException("--api-key-file " + keyFile + " holds no key (only blank or # lines): "
                        + "an empty key would let anyone in");
            }
        }
        return out;
    }

    private static String checked(String key, String source) {
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("the API key from " + source + " is blank: an empty key would let anyone in; "
                    + "give a real key, or none at all on a loopback address");
        }
        return key.strip();
    }

    public boolean isEmpty() {
        return digests.isEmpty();
    }

    /** Whether {@code presented} is one of the keys; constant time in the key's content and in which key matches. */
    public boolean matches(String presented) {
        if (presented == null) {
            return false;
        }
        byte[] p = digest(presented);
        boolean ok = false;
        for (byte[] d : digests) {
            ok |= MessageDigest.isEqual(d, p); // no early exit: every digest is compared
        }
        return ok;
    }

    private static byte[] digest(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available in the JDK", e);
        }
    }
}
