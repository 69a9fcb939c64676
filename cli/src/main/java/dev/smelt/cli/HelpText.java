package dev.smelt.cli;

/** Help texts several commands share, written once. */
final class HelpText {
    /** What a MODEL argument accepts (resolved by {@link ModelRefs}). */
    static final String MODEL = "Model: a GGUF file, hf:OWNER/REPO/FILE.gguf[@REV] (downloaded once and cached; SMELT_OFFLINE=1, HF_TOKEN) "
            + "or the name of a model in the store (smelt pull, smelt list).";

    private HelpText() {
    }
}
