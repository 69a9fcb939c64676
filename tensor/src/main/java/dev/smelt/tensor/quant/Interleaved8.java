package dev.smelt.tensor.quant;

import static dev.smelt.tensor.quant.Q4_0x8.EXPAND_MAX_COLS;
import static dev.smelt.tensor.quant.Q4_0x8.K;
import static dev.smelt.tensor.quant.Q4_0x8.LS;
import static dev.smelt.tensor.quant.Q4_0x8.ROWS;
import static dev.smelt.tensor.quant.Q4_0x8.S;
import static dev.smelt.tensor.quant.Q4_0x8.STEP;

import dev.smelt.tensor.ThreadPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Shared driver of the 8-row interleaved integer kernels: quantizes each activation row once per
 * matmul ({@link Act}), then runs the format's {@link #group} kernel for every 8-row group and
 * activation row, groups outermost so a group's packed weights stay in cache across the batch.
 * Subclasses are immutable; {@link #matmul} is thread-safe (per-thread activation buffers).
 */
abstract class Interleaved8 implements Repacked {
    /** 8-row groups per parallel task (64 output rows). */
    private static final int GROUPS_PER_TASK = 8;
    private static final ThreadLocal<Act[]> ACTS_32 = ThreadLocal.withInitial(() -> new Act[0]);
    private static final ThreadLocal<Act[]> ACTS_256 = ThreadLocal.withInitial(() -> new Act[0]);

    final int rows;
    final int cols;
    final int groups;

    Interleaved8(int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
        this.groups = (rows + ROWS - 1) / ROWS;
    }

    /** Values per activation scale: 32 (Q8_0-style) or 256 (Q8_K-style). */
    abstract int activationBlock();

    /** Rows 8g..8g+7 (those below {@code rows}) against one quantized activation row into out[outOff + r]. */
    abstract void group(int g, Act act, float[] out, int outOff);

    /** Scalar oracle for row r on the source layout (used where the vector kernel cannot run). */
    abstract float dotReference(int r, Q8Activations a);

    /** Step t of block b's activation vector (lane r·K + k: element t·K + k): from the expanded copy, or permuted from x0/x1, the block's widened values. */
    static ShortVector step(short[] xs, int b, int t, boolean expand, ShortVector x0, ShortVector x1) {
        if (expand) {
            return ShortVector.fromArray(S, xs, b * 256 + t * LS);
        }
        return (LS == 32 || t * K < 16 ? x0 : x1).rearrange(STEP[t]);
    }

    /**
     * A block's exact 16-bit lane sums widened to int32: lanes r·K + k hold (row r, element k), so adjacent 16-bit
     * pairs belong to one row and each 32-bit lane splits into its two signed halves.
     */
    static IntVector widenPairs(ShortVector sum) {
        IntVector pairs = sum.reinterpretAsInts();
        return pairs.lanewise(VectorOperators.ASHR, 16).add(pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
    }

    /** Sums each row's lanes of {@code acc} (lanes r·K + k belong to row r) into out[outOff + 8g + r], for rows below {@link #rows}. */
    final void storeRows(FloatVector acc, int g, float[] out, int outOff) {
        float[] lanes = acc.toArray();
        int per = lanes.length / ROWS;
        for (int r = 0; r < ROWS && g * ROWS + r < rows; r++) {
            float s = 0;
            for (int j = 0; j < per; j++) {
                s += lanes[r * per + j];
            }
            out[outOff + g * ROWS + r] = s;
        }
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public void matmul(ThreadPool pool, float[] x, float[] out) {
        matmul(pool, x, 1, out);
    }

    @Override
    public void matmul(ThreadPool pool, float[] x, int batch, float[] out) {
        Act[] acts = acts(batch);
        for (int b = 0; b < batch; b++) {
            acts[b].prepare(x, b * cols, cols);
        }
        if (!supported()) {
            pool.parallelFor(rows, r -> {
                for (int b = 0; b < batch; b++) {
                    out[b * rows + r] = dotReference(r, acts[b].a);
                }
            });
            return;
        }
        int tasks = (groups + GROUPS_PER_TASK - 1) / GROUPS_PER_TASK;
        pool.parallelFor(tasks, t -> {
            int g1 = Math.min(groups, (t + 1) * GROUPS_PER_TASK);
            for (int g = t * GROUPS_PER_TASK; g < g1; g++) {
                for (int b = 0; b < batch; b++) {
                    group(g, acts[b], out, b * rows);
                }
            }
        });
    }

    /** Whether the vector kernels run here. */
    static boolean supported() {
        return Q4_0x8.supported();
    }

    private Act[] acts(int batch) {
        ThreadLocal<Act[]> tl = activationBlock() == Q8Activations.BLOCK_K ? ACTS_256 : ACTS_32;
        Act[] acts = tl.get();
        if (acts.length < batch) {
            Act[] grown = java.util.Arrays.copyOf(acts, batch);
            for (int i = acts.length; i < batch; i++) {
                grown[i] = new Act(activationBlock());
            }
            tl.set(grown);
            acts = grown;
        }
        return acts;
    }

    /**
     * One activation row, quantized ({@link #a}) and widened to 16 bits ({@link #xs}): in element
     * order (one vector per 32 values on AVX-512, two on AVX2) or, when {@link #expand} (rows of at
     * most {@link Q4_0x8#EXPAND_MAX_COLS}), as each step's vector: [b·256 + t·S + l] = q[32b + t·K + l % K].
     * 256-blocks also carry Σ q per 32 values ({@link #sums32}). Not thread-safe; read-only while kernels run.
     */
    static final class Act {
        final Q8Activations a;
        short[] xs = new short[0];
        int[] sums32 = new int[0];
        boolean expand;

        Act(int block) {
            a = new Q8Activations(block);
        }

        void prepare(float[] x, int off, int n) {
            a.quantize(x, off, n);
            expand = n <= EXPAND_MAX_COLS;
            int need = expand ? n * ROWS : n;
            if (xs.length < need) {
                xs = new short[need];
            }
            if (expand) {
                for (int b = 0; b < n / 32; b++) {
                    for (int t = 0; t < 32 / K; t++) {
                        for (int l = 0; l < LS; l++) {
                            xs[b * 256 + t * LS + l] = a.q[b * 32 + t * K + l % K];
                        }
                    }
                }
            } else {
                for (int i = 0; i < n; i++) {
                    xs[i] = a.q[i];
                }
            }
            if (a.block == Q8Activations.BLOCK_K) {
                if (sums32.length < n / 32) {
                    sums32 = new int[n / 32];
                }
                for (int i = 0; i < n / 32; i++) {
                    sums32[i] = a.sums[2 * i] + a.sums[2 * i + 1];
                }
            }
        }
    }
}
