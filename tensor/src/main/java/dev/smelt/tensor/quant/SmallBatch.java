package dev.smelt.tensor.quant;

import java.lang.foreign.MemorySegment;

/**
 * Drives fused small-batch kernels (batched decode: 2–32 activation rows) over a range of output rows.
 * A kernel takes two weight rows and eight, four or two activation rows at once, so each decoded
 * weight vector feeds eight (four, two) FMAs and each activation load feeds two; all accumulators
 * stay in registers and the block decode is paid once per pair of rows and group of activation rows,
 * not once per activation row.
 *
 * <p>Remainders reuse the same kernels with repeated indices rather than more code: an odd last
 * weight row is paired with itself and a batch remainder of 3 repeats its last activation row (1
 * repeats itself in the 2-row kernel). A repeated pair computes the identical value into the same
 * output slot twice. Every kernel does the same arithmetic for one (weight row, activation row) pair
 * (same decode, same FMA order, one lane reduction), so a row's result does not depend on the batch
 * size or on its position in the batch. Stateless, thread-safe.
 */
final class SmallBatch {
    /**
     * Batches up to this size take the fused kernels; larger ones (prompts) dequantize a tile once and
     * run the dense GEMM, which reuses each decoded weight for more rows. Chosen by KernelThroughput
     * (4864 × 896, one core: fused 78–83 GFLOP/s at batch 16 and 32 against the GEMM's 61–73, equal
     * at 64);
     * {@code -Dsmelt.fusedBatch=false} turns the fused path off (for measuring against the old one),
     * {@code -Dsmelt.fusedBatchLimit=N} moves the limit (for measuring where the GEMM starts to win).
     */
    static final int FUSED_BATCH_LIMIT = Boolean.parseBoolean(System.getProperty("smelt.fusedBatch", "true"))
            ? Integer.getInteger("smelt.fusedBatchLimit", 32) : 0;
    /** Groups of eight activation rows take the 2 × 8 kernel ({@code -Dsmelt.k8=false}: 2 × 4 twice, for measuring). */
    static final boolean USE_K8 = Boolean.parseBoolean(System.getProperty("smelt.k8", "true"));

    private SmallBatch() {
    }

    /** Two weight rows (at byte offsets oa, ob) × eight consecutive activation rows starting at x offset xo. */
    interface Kernel8 {
        void run(MemorySegment w, long oa, long ob, int n, float[] x, int xo, float[] out, int oo, int os, int ra, int rb);
    }

    /** Two weight rows (at byte offsets oa, ob) × four activation rows (at x offsets x0..x3). */
    interface Kernel4 {
        void run(MemorySegment w, long oa, long ob, int n, float[] x, int x0, int x1, int x2, int x3,
                 float[] out, int o0, int o1, int o2, int o3, int ra, int rb);
    }

    /** Two weight rows × two activation rows. */
    interface Kernel2 {
        void run(MemorySegment w, long oa, long ob, int n, float[] x, int x0, int x1,
                 float[] out, int o0, int o1, int ra, int rb);
    }

    /** As {@link WeightFormat#matmulRows}: out[b·os + r] for r in [r0, r1), b in [0, batch). */
    static void rows(Kernel8 k8, Kernel4 k4, Kernel2 k2, MemorySegment w, long offset, long rowBytes, int r0, int r1, int n,
                     float[] x, int batch, float[] out, int os) {
        for (int ra = r0; ra < r1; ra += 2) {
            int rb = Math.min(ra + 1, r1 - 1);
            long oa = offset + ra * rowBytes;
            long ob = offset + rb * rowBytes;
            int b = 0;
            for (; USE_K8 && b + 8 <= batch; b += 8) {
                k8.run(w, oa, ob, n, x, b * n, out, b * os, os, ra, rb);
            }
            for (; b + 4 <= batch; b += 4) {
                k4.run(w, oa, ob, n, x, b * n, (b + 1) * n, (b + 2) * n, (b + 3) * n,
                        out, b * os, (b + 1) * os, (b + 2) * os, (b + 3) * os, ra, rb);
            }
            int rest = batch - b;
            if (rest == 3) {
                k4.run(w, oa, ob, n, x, b * n, (b + 1) * n, (b + 2) * n, (b + 2) * n,
                        out, b * os, (b + 1) * os, (b + 2) * os, (b + 2) * os, ra, rb);
            } else if (rest > 0) {
                int b1 = b + rest - 1;
                k2.run(w, oa, ob, n, x, b * n, b1 * n, out, b * os, b1 * os, ra, rb);
            }
        }
    }
}
