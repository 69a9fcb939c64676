package dev.smelt.cli;

import dev.smelt.compress.ImportanceMatrix;
import dev.smelt.compress.quality.ImatrixCollector;
import dev.smelt.compress.quality.Perplexity;
import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.tensor.ThreadPool;
import java.io.IOException;
import java.nio.file.Path;

/** Activation statistics for prune/lowrank: from an imatrix file, or collected on a calibration text. */
final class Calibration {
    private Calibration() {
    }

    /**
     * @return the importance matrix, or null when neither source is given
     * @throws IllegalArgumentException when both are given, or the text is shorter than one chunk
     */
    static ImportanceMatrix load(Path imatrix, Path text, Path model, int ctx, ThreadPool pool) throws IOException {
        if (imatrix != null && text != null) {
            throw new IllegalArgumentException("give either --imatrix or --calibration, not both");
        }
        if (imatrix != null) {
            return ImportanceMatrix.load(imatrix);
        }
        if (text == null) {
            return null;
        }
        try (DecoderModel m = Models.load(ModelRefs.local(model), Perplexity.workload(ctx))) {
            Tokenizer t = TextModels.tokenizer(m.file());
            int[] tokens = t.encode(TextModels.readText(text), true, false);
            if (tokens.length < ctx) {
                throw new IllegalArgumentException(text + ": calibration text has " + tokens.length
                        + " tokens, fewer than one chunk of --ctx " + ctx);
            }
            int bos = m.file().getBool("tokenizer.ggml.add_bos_token", true) ? t.bos() : -1;
            ImatrixCollector c = new ImatrixCollector();
            int total = tokens.length / ctx;
            Progress bar = new Progress(System.err, "calibrate", total);
            c.collect(m, pool, tokens, ctx, bos, done -> bar.update(done, "chunk " + done + "/" + total));
            return c.importance();
        }
    }
}
