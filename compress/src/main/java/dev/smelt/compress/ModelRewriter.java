package dev.smelt.compress;

import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.gguf.GgufWriter;
import dev.smelt.tensor.GgmlType;
import java.util.List;

/**
 * Copies a GGUF model into a {@link GgufWriter} (metadata in order, tensors in the source's order),
 * letting an editor replace selected tensors by one or more new ones (pruned weights, low-rank
 * factors). Unedited tensors are streamed from the mapping, never copied to the heap.
 * Thread-safety: stateless; the editor runs on the caller's thread, one tensor at a time.
 */
public final class ModelRewriter {
    /** A tensor to write; {@code dims} in ggml order (ne0 = row length first). */
    public record NewTensor(String name, long[] dims, GgmlType type, byte[] data) {
    }

    /** Decides what replaces a tensor. */
    @FunctionalInterface
    public interface Editor {
        /** @return the tensors written in place of {@code t}, or null to copy it unchanged */
        List<NewTensor> edit(GgufTensorInfo t);
    }

    private ModelRewriter() {
    }

    public static GgufWriter rewrite(GgufFile src, Editor editor) {
        GgufWriter w = new GgufWriter().putAll(src.metadata());
        for (GgufTensorInfo t : src.tensors()) {
            List<NewTensor> repl = editor.edit(t);
            if (repl == null) {
                w.tensor(t.name(), t.dims(), t.type(), src.tensorData(t));
            } else {
                for (NewTensor n : repl) {
                    w.tensor(n.name(), n.dims(), n.type(), n.data());
                }
            }
        }
        return w;
    }
}
