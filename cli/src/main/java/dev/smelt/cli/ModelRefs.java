package dev.smelt.cli;

import dev.smelt.model.hub.ModelDownloader;
import java.nio.file.Path;

/** Turns a command's model argument (path or hf:OWNER/REPO/FILE.gguf) into a local file, with a progress bar. */
final class ModelRefs {
    private ModelRefs() {
    }

    static Path resolve(Path ref) throws Exception {
        String s = ref.toString();
        if (!ModelDownloader.isRemote(s)) {
            return ref;
        }
        ModelDownloader d = ModelDownloader.fromEnvironment(System.getenv());
        Progress[] bar = {null};
        return d.resolve(s, (done, total) -> {
            if (bar[0] == null) {
                bar[0] = new Progress(System.err, "download " + s, total > 0 ? total : 1);
            }
            bar[0].update(total > 0 ? done : 0, String.format("%.1f MiB", done / 1048576.0));
        });
    }
}
