package dev.smelt.train.data;

/**
 * One training sequence after the chat template and tokenizer: what the trainer consumes.
 * {@code target[i]} true means token i is predicted and scored (from position i − 1), the same
 * convention as the PyTorch LoRA goldens' {@code seqN.target_mask}; target[0] is always false.
 *
 * @param tokens [n] token ids
 * @param target [n] loss mask
 * @param source where the example came from (file:line), for error messages
 */
public record TokenizedExample(int[] tokens, boolean[] target, String source) {
    public TokenizedExample {
        if (tokens.length != target.length) {
            throw new IllegalArgumentException(source + ": " + tokens.length + " tokens but " + target.length + " mask entries");
        }
        if (tokens.length > 0 && target[0]) {
            throw new IllegalArgumentException(source + ": the first token cannot be a target (nothing precedes it)");
        }
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
