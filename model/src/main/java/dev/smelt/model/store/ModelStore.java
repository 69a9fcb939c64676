package dev.smelt.model.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * smelt's model store, laid out like Ollama's ({@code ~/.ollama/models}): below {@code $SMELT_HOME/models},
 * content-addressed blobs {@code blobs/sha256-HEX} and one manifest per name at
 * {@code manifests/NAMESPACE/MODEL/TAG} listing the blobs of that model ({@link Manifest}).
 *
 * <p>Safe against interrupted writes and concurrent writers, in this process and others: every blob and
 * manifest is written to a temporary file in its folder and atomically renamed into place (a reader sees
 * the old file or the new one, never half of one; a crash leaves only a {@code .tmp-} file that the next
 * removal sweeps away). Changes to names (register, copy, remove and its removal of unreferenced blobs)
 * hold the store's lock file, so removal never deletes a blob another writer is about to name; the long
 * part of a pull, the download, runs outside it under a lock of its own per download. Thread-safe.
 */
public final class ModelStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TMP = ".tmp-";

    private final Path root;
    private final Path blobs;
    private final Path manifests;

    /** The store below {@code home} ({@code home/models}); folders are created when first written. */
    public ModelStore(Path home) {
        this.root = home.resolve("models");
        this.blobs = root.resolve("blobs");
        this.manifests = root.resolve("manifests");
    }

    /** The store of {@link #home}. */
    public static ModelStore fromEnvironment(Map<String, String> env) {
        return new ModelStore(home(env));
    }

    /** The {@code smelt.home} system property (tests, embedding applications), else {@code $SMELT_HOME}, else {@code ~/.smelt}. */
    public static Path home(Map<String, String> env) {
        String h = System.getProperty("smelt.home", env.get("SMELT_HOME"));
        return h != null && !h.isBlank() ? Path.of(h) : Path.of(System.getProperty("user.home"), ".smelt");
    }

    /** The folder holding blobs and manifests. */
    public Path root() {
        return root;
    }

    /** Where partial downloads wait until they are complete (resumed from there). */
    Path downloads() {
        return root.resolve("partial");
    }

    /** The stored model {@code ref} names, or null when {@code ref} is not a valid name or no such name is stored. */
    public StoredModel find(String ref) throws IOException {
        ModelName n = ModelName.tryParse(ref);
        return n == null || !Files.isRegularFile(n.manifestPath(manifests)) ? null : read(n);
    }

    /** "stored: A, B" for messages about a missing name, or "the store is empty". */
    String inventory() throws IOException {
        List<String> n = names();
        return n.isEmpty() ? "the store is empty" : "stored: " + String.join(", ", n);
    }

    /** The stored model {@code name}; throws naming the stored names when there is none. */
    public StoredModel get(ModelName name) throws IOException {
        if (!Files.isRegularFile(name.manifestPath(manifests))) {
            throw new NoSuchModelException("no model '" + name + "' in the store " + root + " (stored: "
                    + (names().isEmpty() ? "none; add one with smelt pull or smelt create" : String.join(", ", names())) + ")");
        }
        return read(name);
    }

    /** Every stored name, sorted. */
    public List<String> names() throws IOException {
        List<String> out = new ArrayList<>();
        for (ModelName n : manifestNames()) {
            out.add(n.toString());
        }
        out.sort(null);
        return out;
    }

    /** Every stored model, sorted by name (a damaged entry is skipped, not fatal for the listing: {@link #damaged} names it). */
    public List<StoredModel> list() throws IOException {
        List<StoredModel> out = new ArrayList<>();
        for (ModelName n : manifestNames()) {
            try {
                out.add(read(n));
            } catch (IOException e) {
                // reported by damaged()
            }
        }
        out.sort(java.util.Comparator.comparing(m -> m.name().toString()));
        return out;
    }

    /** What is wrong with each stored name that cannot be read (a damaged manifest, a missing blob), one message each. */
    public List<String> damaged() throws IOException {
        List<String> out = new ArrayList<>();
        for (ModelName n : manifestNames()) {
            try {
                read(n);
            } catch (IOException e) {
                out.add(n + ": " + e.getMessage());
            }
        }
        return out;
    }

    /**
     * Stores {@code gguf} (copied, hashed on the way) and what {@code extras} adds under {@code name},
     * replacing an earlier model of that name.
     *
     * @param source where the weights came from (recorded in the config blob)
     */
    public StoredModel register(ModelName name, Path gguf, Extras extras, String source) throws IOException {
        return register(name, gguf, false, extras, source);
    }

    /** {@link #register}, moving {@code gguf} into the store instead of copying it (for finished downloads). */
    StoredModel registerMoving(ModelName name, Path gguf, String source) throws IOException {
        return register(name, gguf, true, Extras.NONE, source);
    }

    private StoredModel register(ModelName name, Path gguf, boolean move, Extras extras, String source) throws IOException {
        ObjectNode config = describe(gguf, source);
        try (StoreLock lock = lock()) {
            List<Manifest.Layer> layers = new ArrayList<>();
            layers.add(move ? moveBlob(gguf, Manifest.MODEL) : copyBlob(gguf, Manifest.MODEL));
            addExtras(layers, extras);
            writeManifest(name, Manifest.of(putBytes(JSON.writeValueAsBytes(config), Manifest.CONFIG_TYPE), layers));
            return get(name); // read under the lock: a concurrent remove cannot slip in between
        }
    }

    /** Stores {@code base}'s blobs under {@code name} with {@code extras} replacing the layers they give (Modelfile FROM a stored name). */
    public StoredModel derive(ModelName name, StoredModel base, Extras extras) throws IOException {
        try (StoreLock lock = lock()) {
            read(base.name()); // still there
            List<Manifest.Layer> layers = new ArrayList<>();
            for (Manifest.Layer l : base.manifest().layers()) {
                if (!extras.replaces(l.mediaType())) {
                    layers.add(l);
                }
            }
            addExtras(layers, extras);
            writeManifest(name, Manifest.of(base.manifest().config(), layers));
            return get(name);
        }
    }

    /** Names {@code src}'s model also {@code dst} (blobs are shared); replaces an earlier {@code dst}. */
    public StoredModel copy(ModelName src, ModelName dst) throws IOException {
        try (StoreLock lock = lock()) {
            Manifest m = readManifest(src);
            writeManifest(dst, m);
            return get(dst);
        }
    }

    /** Removes {@code name}, then every blob no name refers to any more; throws when there is no such name. */
    public void remove(ModelName name) throws IOException {
        try (StoreLock lock = lock()) {
            Path p = name.manifestPath(manifests);
            if (!Files.isRegularFile(p)) {
                throw new NoSuchModelException("no model '" + name + "' in the store " + root + " (" + inventory() + ")");
            }
            Files.delete(p);
            deleteEmptyParents(p.getParent());
            collectGarbage();
        }
    }

    /** What a Modelfile adds to the weights; null fields add nothing. Immutable. */
    public record Extras(Path adapter, String template, String system, ObjectNode parameters) {
        public static final Extras NONE = new Extras(null, null, null, null);

        boolean replaces(String mediaType) {
            return switch (mediaType) {
                case Manifest.ADAPTER -> adapter != null;
                case Manifest.TEMPLATE -> template != null;
                case Manifest.SYSTEM -> system != null;
                case Manifest.PARAMS -> parameters != null;
                default -> false;
            };
        }
    }

    private void addExtras(List<Manifest.Layer> layers, Extras e) throws IOException {
        if (e.adapter() != null) {
            layers.add(copyBlob(e.adapter(), Manifest.ADAPTER));
        }
        if (e.template() != null) {
            layers.add(putBytes(e.template().getBytes(StandardCharsets.UTF_8), Manifest.TEMPLATE));
        }
        if (e.system() != null) {
            layers.add(putBytes(e.system().getBytes(StandardCharsets.UTF_8), Manifest.SYSTEM));
        }
        if (e.parameters() != null && !e.parameters().isEmpty()) {
            layers.add(putBytes(JSON.writeValueAsBytes(e.parameters()), Manifest.PARAMS));
        }
    }

    /** The store-wide lock for changes to names (and blob removal). */
    private StoreLock lock() throws IOException {
        return StoreLock.acquire(root.resolve(".lock"));
    }

    private StoredModel read(ModelName n) throws IOException {
        Path mp = n.manifestPath(manifests);
        Manifest m = readManifest(n);
        Manifest.Layer model = m.layer(Manifest.MODEL);
        if (model == null) {
            throw new IOException(mp + ": the manifest has no model layer (" + Manifest.MODEL + ")");
        }
        JsonNode config = m.config() == null ? JSON.createObjectNode() : JSON.readTree(blobBytes(m.config(), mp));
        Manifest.Layer adapter = m.layer(Manifest.ADAPTER);
        Manifest.Layer params = m.layer(Manifest.PARAMS);
        return new StoredModel(n, m, blob(model, mp), adapter == null ? null : blob(adapter, mp), text(m, Manifest.TEMPLATE, mp),
                text(m, Manifest.SYSTEM, mp), params == null ? JSON.createObjectNode() : (ObjectNode) JSON.readTree(blobBytes(params, mp)),
                config.path("model_family").asText(""), config.path("file_type").asText(""),
                Files.getLastModifiedTime(mp).toInstant());
    }

    private Manifest readManifest(ModelName n) throws IOException {
        Path mp = n.manifestPath(manifests);
        if (!Files.isRegularFile(mp)) {
            throw new NoSuchModelException("no model '" + n + "' in the store " + root);
        }
        try {
            Manifest m = JSON.readValue(mp.toFile(), Manifest.class);
            if (m.layers() == null) {
                throw new IOException("no layers");
            }
            return m;
        } catch (IOException | RuntimeException e) {
            throw new IOException(mp + ": not a readable manifest (" + e.getMessage() + "); remove it with smelt rm " + n, e);
        }
    }

    private String text(Manifest m, String type, Path manifest) throws IOException {
        Manifest.Layer l = m.layer(type);
        return l == null ? null : new String(blobBytes(l, manifest), StandardCharsets.UTF_8);
    }

    private byte[] blobBytes(Manifest.Layer l, Path manifest) throws IOException {
        return Files.readAllBytes(blob(l, manifest));
    }

    /** The file of blob {@code l}; throws naming the manifest when the blob is missing. */
    private Path blob(Manifest.Layer l, Path manifest) throws IOException {
        if (l.digest() == null || !l.digest().matches("sha256:[0-9a-f]{64}")) {
            throw new IOException(manifest + ": bad digest '" + l.digest() + "'");
        }
        Path p = blobs.resolve(l.fileName());
        if (!Files.isRegularFile(p)) {
            throw new NoSuchModelException("blob " + l.digest() + " of " + manifest + " is missing: pull or create the model again");
        }
        return p;
    }

    private void writeManifest(ModelName n, Manifest m) throws IOException {
        Path p = n.manifestPath(manifests);
        Files.createDirectories(p.getParent());
        atomicWrite(p, JSON.writeValueAsBytes(m));
    }

    /** Copies {@code src} into a blob, hashing while copying; an identical blob already stored is kept. */
    private Manifest.Layer copyBlob(Path src, String type) throws IOException {
        Files.createDirectories(blobs);
        Path tmp = blobs.resolve(TMP + UUID.randomUUID());
        try {
            MessageDigest md = sha256();
            try (InputStream in = new DigestInputStream(Files.newInputStream(src), md)) {
                Files.copy(in, tmp);
            }
            return place(tmp, HexFormat.of().formatHex(md.digest()), type);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Moves {@code src} (a file of ours, e.g. a finished download) into a blob. */
    private Manifest.Layer moveBlob(Path src, String type) throws IOException {
        return place(src, sha256Hex(src), type);
    }

    private Manifest.Layer putBytes(byte[] bytes, String type) throws IOException {
        Files.createDirectories(blobs);
        Path tmp = blobs.resolve(TMP + UUID.randomUUID());
        try {
            Files.write(tmp, bytes);
            return place(tmp, HexFormat.of().formatHex(sha256().digest(bytes)), type);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Renames {@code file} to blob {@code hex} (atomically, so a reader never sees a partial blob). */
    private Manifest.Layer place(Path file, String hex, String type) throws IOException {
        Files.createDirectories(blobs);
        Path target = blobs.resolve("sha256-" + hex);
        long size = Files.size(file);
        if (Files.isRegularFile(target) && Files.size(target) == size) {
            Files.delete(file); // same content already stored
        } else {
            move(file, target);
        }
        return new Manifest.Layer(type, "sha256:" + hex, size);
    }

    private static void atomicWrite(Path p, byte[] bytes) throws IOException {
        Path tmp = p.resolveSibling(TMP + UUID.randomUUID());
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                out.write(bytes);
            }
            move(tmp, p);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) { // another file system: copy beside the target, then rename there
            Path tmp = to.resolveSibling(TMP + UUID.randomUUID());
            try {
                Files.copy(from, tmp);
                Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                Files.delete(from);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Deletes blobs no manifest names and temporary files of interrupted writes (caller holds the lock). */
    private void collectGarbage() throws IOException {
        Set<String> used = new HashSet<>();
        for (ModelName n : manifestNames()) {
            Manifest m = readManifest(n);
            if (m.config() != null) {
                used.add(m.config().fileName());
            }
            m.layers().forEach(l -> used.add(l.fileName()));
        }
        if (!Files.isDirectory(blobs)) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(blobs)) {
            for (Path b : ds) {
                String f = b.getFileName().toString();
                if (f.startsWith("sha256-") && !used.contains(f) || f.startsWith(TMP) && isStale(b)) {
                    Files.deleteIfExists(b);
                }
            }
        }
    }

    /** A temporary file older than a day: left by a crash (a live writer's is younger). */
    private static boolean isStale(Path p) throws IOException {
        return Files.getLastModifiedTime(p).toInstant().isBefore(Instant.now().minusSeconds(86_400));
    }

    private List<ModelName> manifestNames() throws IOException {
        List<ModelName> out = new ArrayList<>();
        if (!Files.isDirectory(manifests)) {
            return out;
        }
        try (Stream<Path> s = Files.walk(manifests, 3)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path rel = manifests.relativize(p);
                if (rel.getNameCount() == 3 && Files.isRegularFile(p) && !rel.getFileName().toString().startsWith(TMP)) {
                    ModelName n = ModelName.tryParse(rel.getName(0) + "/" + rel.getName(1) + ":" + rel.getName(2));
                    if (n != null) {
                        out.add(n);
                    }
                }
            }
        }
        return out;
    }

    private void deleteEmptyParents(Path dir) throws IOException {
        while (dir != null && dir.startsWith(manifests) && !dir.equals(manifests)) {
            try (Stream<Path> s = Files.list(dir)) {
                if (s.findAny().isPresent()) {
                    return;
                }
            }
            Files.delete(dir);
            dir = dir.getParent();
        }
    }

    /** Facts about the weights for the config blob, read from the GGUF header (rejects a file that is not GGUF). */
    private static ObjectNode describe(Path gguf, String source) throws IOException {
        ObjectNode c = JSON.createObjectNode().put("model_format", "gguf");
        try (GgufFile f = GgufFile.open(gguf)) {
            Map<String, Long> bytesByType = new HashMap<>();
            for (GgufTensorInfo t : f.tensors()) {
                if (t.dims().length >= 2) {
                    bytesByType.merge(t.type().name(), t.byteSize(), Long::sum);
                }
            }
            c.put("model_family", f.architecture() == null ? "" : f.architecture());
            c.put("file_type", bytesByType.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(""));
        } catch (IOException | RuntimeException e) {
            throw new IOException(gguf + ": not a GGUF model (" + e.getMessage() + ")", e);
        }
        return c.put("source", source).put("created_by", "smelt");
    }

    static String sha256Hex(Path p) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(p), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
