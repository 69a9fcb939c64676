package dev.smelt.cli;

import dev.smelt.model.hub.ModelDownloader;
import dev.smelt.model.store.StoredModel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Turns a command's model argument into a local file: a path as it is, {@code hf:OWNER/REPO/FILE.gguf} downloaded
 * (with a progress bar), or a name in the model store ({@code NAME[:TAG]}, when no file of that name exists).
 */
final class ModelRefs {
    private ModelRefs() {
    }

    static Path resolve(Path ref) throws Exception {
        String s = ref.toString();
        if (!ModelDownloader.isRemote(s)) {
            return local(ref);
        }
        ModelDownloader d = ModelDownloader.fromEnvironment(System.getenv());
        return d.resolve(s, new DownloadBar(System.err, "download " + s));
    }

    /** {@code ref} itself, or the weights of the stored model it names (no download). */
    static Path local(Path ref) throws java.io.IOException {
        StoredModel m = stored(ref);
        return m != null ? m.model() : ref;
    }

    /** The stored model {@code ref} names when it is no existing file and a stored name, else null. */
    static StoredModel stored(Path ref) throws java.io.IOException {
        return Files.exists(ref) ? null : StoreCommands.store().find(ref.toString());
    }

    /** Applies the adapter of the stored model {@code ref} names (its Modelfile's ADAPTER, or finetune --register's), if any. */
    static void applyStoredAdapter(Path ref, dev.smelt.model.arch.DecoderModel m) throws java.io.IOException {
        StoredModel st = stored(ref);
        if (st != null && st.adapter() != null) {
            LoraOptions.apply(m, st.adapter(), 1f);
        }
    }
}
