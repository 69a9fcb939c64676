package dev.smelt.model.encoder;

import java.util.List;

/**
 * Text → sentence embedding. Implementations state their thread-safety; the BERT one is safe to share.
 * Owns threads (and possibly a file mapping): close it.
 */
public interface Embedder extends AutoCloseable {
    /** Model name, e.g. {@code all-minilm-l6-v2}. */
    String name();

    /** Length of every vector {@link #embed} returns. */
    int dimension();

    /** One vector per text, same order; texts are processed in batches. Empty strings are allowed. */
    float[][] embed(List<String> texts);

    /** Tokens the model reads for {@code text}, [CLS]/[SEP] included (the "usage" an API reports). */
    int countTokens(String text);

    /**
     * Tokens {@code text} has before truncation to the model's window ([CLS]/[SEP] included): more than
     * {@link #countTokens} exactly when the text is truncated.
     */
    default int untruncatedTokens(String text) {
        return countTokens(text);
    }

    @Override
    void close();
}
