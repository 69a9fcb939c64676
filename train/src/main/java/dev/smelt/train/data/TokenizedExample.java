package dev.smelt.train.data;

/**
 * One training sequence after the chat template and tokenizer: what the trainer consumes.
 * {@code target[i]} true means token i is predicted and scored (from position i − 1), the same
 * convention as the PyTorch LoRA goldens' {@code seqN.target_mask}; target[0] is always false.
 *
 * @param tokens [n] token ids
 * @param target [n] loss mask
 * @param source where the example came from (file:line), for error messages
 * @param teacherIds      [n][k_i] the teacher's top-k at target token i as student ids, or null (none for the example
 *                        or, per entry, for that token); the distribution token i is drawn from
 * @param teacherLogprobs [n][k_i] their teacher log-probabilities, null where teacherIds is
 */
public record TokenizedExample(int[] tokens, boolean[] target, String source, int[][] teacherIds, float[][] teacherLogprobs) {
    /** Without teacher distributions. */
    public TokenizedExample(int[] tokens, boolean[] target, String source) {
        this(tokens, target, source, null, null);
    }

    public TokenizedExample {
        if ((teacherIds == null) != (teacherLogprobs == null)
                || teacherIds != null && (teacherIds.length != tokens.length || teacherLogprobs.length != tokens.length)) {
            throw new IllegalArgumentException(source + ": teacher arrays must both be null or both have one entry per token");
        }
        if (tokens.length != target.length) {
            throw new IllegalArgumentException(source + ": " + tokens.length + " tokens but " + target.length + " mask entries");
        }
        if (tokens.length > 0 && target[0]) {
            throw new IllegalArgumentException(source + ": the first token cannot be a target (nothing precedes it)");
        }
    }

    /** The first {@code n} tokens (teacher entries kept with them). */
    public TokenizedExample prefix(int n) {
        return new TokenizedExample(java.util.Arrays.copyOf(tokens, n), java.util.Arrays.copyOf(target, n), source,
                teacherIds == null ? null : java.util.Arrays.copyOf(teacherIds, n), teacherLogprobs == null ? null : java.util.Arrays.copyOf(teacherLogprobs, n));
    }

    /** Number of scored tokens. */
    public int targetCount() {
        int n = 0;
        for (boolean t : target) {
            if (t) {
                n++;
            }
        }
        return n;
    }
}
