package dev.smelt.cli;

import dev.smelt.model.hub.ModelDownloader;
import dev.smelt.model.store.ModelName;
import dev.smelt.model.store.ModelStore;
import dev.smelt.model.store.Modelfile;
import dev.smelt.model.store.StoreCreate;
import dev.smelt.model.store.StorePull;
import dev.smelt.model.store.StoredModel;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The model store's commands, as Ollama users know them: {@code pull}, {@code list}, {@code rm}, {@code cp},
 * {@code create}. The store is {@code $SMELT_HOME/models} (default {@code ~/.smelt/models}); every command that
 * takes a MODEL also accepts a stored name ({@link ModelRefs}).
 */
final class StoreCommands {
    private StoreCommands() {
    }

    static ModelStore store() {
        return ModelStore.fromEnvironment(System.getenv());
    }

    @Command(name = "pull", mixinStandardHelpOptions = true,
            description = "Download a GGUF model from Hugging Face into the model store ($SMELT_HOME, default ~/.smelt): resumable, SHA-256 checked.")
    static final class Pull implements Callable<Integer> {
        @Parameters(paramLabel = "REF", description = "hf:OWNER/REPO/FILE.gguf[@REVISION], e.g. hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_0.gguf")
        String ref;

        @Option(names = "--name", paramLabel = "NAME[:TAG]", description = "Name to store it under (default: the file name without .gguf, tag latest).")
        String name;

        @Option(names = "--hub", paramLabel = "URL", description = "The hub's base URL (default: $HF_ENDPOINT, else https://huggingface.co).")
        URI hub;

        @Override
        public Integer call() throws Exception {
            ModelName n = name != null ? ModelName.parse(name) : StorePull.defaultName(ref);
            ModelDownloader d = ModelDownloader.fromEnvironment(System.getenv());
            if (hub != null) {
                d = d.withBase(hub);
            }
            StoredModel m = new StorePull(store(), d).pull(ref, n, new DownloadBar(System.err, "pull " + n));
            System.out.printf("%s  %s  %s%n", m.name(), shortDigest(m), size(m.size()));
            return 0;
        }
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "List the models in the store: name, id, size, type, modified.")
    static final class ListCmd implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            ModelStore s = store();
            List<StoredModel> all = s.list();
            int w = Math.max(4, all.stream().mapToInt(m -> m.name().toString().length()).max().orElse(0));
            String fmt = "%-" + w + "s  %-12s  %9s  %-20s  %s%n";
            System.out.printf(fmt, "NAME", "ID", "SIZE", "TYPE", "MODIFIED");
            Instant now = Instant.now();
            for (StoredModel m : all) {
                System.out.printf(fmt, m.name(), shortDigest(m), size(m.size()), m.type(), ago(Duration.between(m.modified(), now)));
            }
            for (String d : s.damaged()) {
                System.err.println("warning: " + d);
            }
            if (all.isEmpty()) {
                System.err.println("(the store " + s.root() + " is empty: add models with smelt pull or smelt create)");
            }
            return 0;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove models from the store (their files go when no other name uses them).")
    static final class Rm implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "NAME", description = "Stored names (NAME[:TAG], tag latest by default).")
        List<String> names;

        @Override
        public Integer call() throws Exception {
            ModelStore s = store();
            for (String n : names) {
                ModelName mn = ModelName.parse(n);
                s.remove(mn);
                System.out.println("deleted '" + mn + "'");
            }
            return 0;
        }
    }

    @Command(name = "cp", mixinStandardHelpOptions = true, description = "Copy a stored model to another name (the files are shared).")
    static final class Cp implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "SRC", description = "A stored name.")
        String src;

        @Parameters(index = "1", paramLabel = "DST", description = "The new name (replaced if it exists).")
        String dst;

        @Override
        public Integer call() throws Exception {
            ModelName from = ModelName.parse(src);
            ModelName to = ModelName.parse(dst);
            if (from.equals(to)) { // the store (and Ollama's /api/copy) would just rewrite the manifest: surely a mistake here
                store().get(from); // a missing name is reported as such first
                throw new IllegalArgumentException("source and destination are the same model '" + from + "'; give another name to copy to");
            }
            StoredModel m = store().copy(from, to);
            System.out.println("copied '" + ModelName.parse(src) + "' to '" + m.name() + "'");
            return 0;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Store a model described by a Modelfile: FROM (a GGUF file or a stored name), ADAPTER (a GGUF LoRA adapter), "
                    + "TEMPLATE (a Jinja chat template), SYSTEM, PARAMETER (temperature, top_k, top_p, min_p, repeat_penalty, repeat_last_n, "
                    + "presence_penalty, frequency_penalty, seed, num_predict, num_ctx, stop). Other instructions are refused.")
    static final class Create implements Callable<Integer> {
        @Parameters(paramLabel = "NAME", description = "NAME[:TAG] to store it under (tag latest by default).")
        String name;

        @Option(names = {"-f", "--file"}, defaultValue = "Modelfile", paramLabel = "MODELFILE", description = "The Modelfile (default ${DEFAULT-VALUE}).")
        Path file;

        @Override
        public Integer call() throws Exception {
            ModelName n = ModelName.parse(name);
            if (!java.nio.file.Files.isRegularFile(file)) {
                throw new IllegalArgumentException("no Modelfile at " + file + " (give one with -f)");
            }
            StoredModel m = StoreCreate.create(store(), n, Modelfile.parse(file), file.toString());
            System.out.printf("created %s  %s  %s  %s%n", m.name(), shortDigest(m), size(m.size()), m.type());
            return 0;
        }
    }

    /** Stores {@code base} (a path or stored name) with {@code adapter} applied on load under {@code name}. */
    static StoredModel registerAdapter(ModelName name, Path base, Path adapter) throws Exception {
        ModelStore s = store();
        ModelStore.Extras extras = new ModelStore.Extras(adapter, null, null, null);
        StoredModel st = ModelRefs.stored(base);
        if (st != null) {
            return s.derive(name, st, extras);
        }
        Path weights = ModelRefs.resolve(base);
        return s.register(name, weights, extras, weights.toAbsolutePath().toString());
    }

    /** Says where a registered model went and how to use it. */
    static void registered(StoredModel m) {
        System.err.printf("stored as %s (%s, %s): smelt run %s, smelt serve %s%n", m.name(), shortDigest(m), size(m.size()),
                m.name().servedName(), m.name().servedName());
    }

    /** The first 12 hex digits of the weights' digest, as Ollama's ID column. */
    static String shortDigest(StoredModel m) {
        return m.digest().substring("sha256:".length(), "sha256:".length() + 12);
    }

    static String size(long bytes) {
        return bytes >= 1L << 30 ? String.format("%.1f GB", bytes / 1e9) : bytes >= 1L << 20 ? String.format("%.0f MB", bytes / 1e6)
                : String.format("%.0f KB", Math.ceil(bytes / 1e3));
    }

    static String ago(Duration d) {
        long s = Math.max(0, d.getSeconds());
        if (s < 60) {
            return "just now";
        }
        if (s < 3600) {
            return s / 60 + " minutes ago";
        }
        if (s < 86_400) {
            return s / 3600 + " hours ago";
        }
        return s / 86_400 + " days ago";
    }
}
