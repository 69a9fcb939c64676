package dev.smelt.model.arch;

import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.quant.Repacked;

/**
 * What a loaded decoder will run, chosen by the caller of {@link Models#load}, so that a load prepares
 * only what that work can use. The repacked copies for the integer kernels ({@link Repacked}) cost a pass
 * over each Q4_0/Q4_K/Q5_0(/Q6_K) matrix at load and 1.1–1.4× its bytes of memory, and are used only by
 * products of at most {@link Repacked#batchLimit} activation rows.
 */
public enum Workload {
    /**
     * Token-by-token generation and serving (decode steps of 1–2 rows): matrices get a repacked copy
     * where {@link Repacked#enabled} says so (per-format defaults, {@code SMELT_REPACK} overrides).
     */
    DECODE,
    /**
     * Only batched products (a training step's frozen base over sequence × batch rows and its transposed
     * backward product, scoring long chunks) or none at all (reading or merging weights): no repacked
     * copies, whatever the flags say, as they would never be used.
     */
    BATCHED;

    /**
     * The workload of a job whose smallest product has {@code rows} activation rows: {@link #DECODE} when
     * some format's integer kernel takes batches that large ({@link Repacked#batchLimit}, which
     * {@code -Dsmelt.repack.maxBatch} moves, e.g. to push whole prompts through the kernels for a KL
     * check), else {@link #BATCHED}.
     */
    public static Workload forRows(int rows) {
        for (GgmlType t : GgmlType.values()) {
            if (Repacked.supported(t) && rows <= Repacked.batchLimit(t)) {
                return DECODE;
            }
        }
        return BATCHED;
    }
}
