package dev.smelt.compress.gptq;

import dev.smelt.compress.quant.Quantizers;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.tensor.quant.Formats;
import dev.smelt.tensor.quant.WeightFormat;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * AWQ (Lin et al., 2023): per input channel j a scale s_j = mean|x_j|^α (normalised so that
 * √(max s · min s) = 1) multiplies column j of every weight reading that input, and 1/s_j is folded into
 * the op producing it, so the network computes the same function while salient channels get finer
 * quantization. α is searched on {@link #GRID_STEPS}+1 points in [0, 1] by the calibration output error
 * Σ ‖(W − Q(W·S)·S⁻¹)X‖² over the group (α = 0 is plain rounding, so the chosen α never does worse on
 * the calibration data).
 *
 * <p>Thread-safety: stateless; concurrent calls need distinct pools.
 */
public final class Awq {
    /** α ∈ {0, 1/GRID_STEPS, …, 1}. */
    public static final int GRID_STEPS = 10;
    /** Lower bound on a scale, as AutoAWQ clamps (keeps 1/s finite for dead channels). */
    static final float MIN_SCALE = 1e-4f;

    private Awq() {
    }

    /** One weight of a group: its values [rows, cols] and the type it will be stored in. */
    public record Member(String name, float[] w, int rows, int cols, GgmlType type) {
    }

    /** The chosen exponent and scales [cols], with the group's output error before and after. */
    public record Choice(float alpha, float[] scales, double errorRtn, double errorBest) {
    }

    /**
     * Searches α for weights sharing one input.
     *
     * @param stats the input's statistics (full H when available, else its diagonal)
     */
    public static Choice search(List<Member> group, HessianCollector.Stats stats, ThreadPool pool) {
        int cols = stats.cols();
        float[] h = Gptq.toFloat(stats.hessianOrDiagonal());
        float[] act = stats.meanAbs();
        float[] imp = stats.meanSquare();
        Choice best = null;
        double rtn = Double.NaN;
        for (int step = 0; step <= GRID_STEPS; step++) {
            float alpha = step / (float) GRID_STEPS;
            float[] s = scales(act, alpha);
            double err = 0;
            for (Member m : group) {
                err += error(m, s, imp, h, pool);
            }
            if (step == 0) {
                rtn = err;
            }
            if (best == null || err < best.errorBest()) {
                best = new Choice(alpha, s, rtn, err);
            }
        }
        return new Choice(best.alpha(), best.scales(), rtn, best.errorBest());
    }

    /** s_j = act_j^α normalised to √(max·min) = 1, clamped below by {@link #MIN_SCALE}. */
    static float[] scales(float[] act, float alpha) {
        int n = act.length;
        float[] s = new float[n];
        double max = 0;
        double min = Double.MAX_VALUE;
        for (int j = 0; j < n; j++) {
            s[j] = (float) Math.max(MIN_SCALE, Math.pow(Math.max(act[j], MIN_SCALE), alpha));
            max = Math.max(max, s[j]);
            min = Math.min(min, s[j]);
        }
        float norm = (float) Math.sqrt(max * min);
        for (int j = 0; j < n; j++) {
            s[j] = Math.max(MIN_SCALE, s[j] / norm);
        }
        return s;
    }

    /** ‖(W − Q(W·S)·S⁻¹)X‖² with importance mean x²/s² for the rounding of W·S. */
    static double error(Member m, float[] s, float[] imp, float[] h, ThreadPool pool) {
        int rows = m.rows();
        int cols = m.cols();
        float[] ws = new float[rows * cols];
        float[] is = new float[cols];
        for (int j = 0; j < cols; j++) {
            is[j] = imp[j] / (s[j] * s[j]);
        }
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                ws[r * cols + j] = m.w()[r * cols + j] * s[j];
            }
        }
        byte[] q = Quantizers.quantizeMatrix(m.type(), ws, rows, cols, is, pool);
        float[] deq = dequantize(m.type(), q, rows, cols);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                deq[r * cols + j] /= s[j];
            }
        }
        return Gptq.outputError(m.w(), deq, rows, cols, h, pool);
    }

    /** [rows, cols] values of a quantized matrix, by the scalar reference decoder. */
    public static float[] dequantize(GgmlType type, byte[] q, int rows, int cols) {
        WeightFormat f = Formats.reference(type);
        MemorySegment seg = MemorySegment.ofArray(q);
        long rowBytes = type.bytesFor(cols);
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            f.dequantize(seg, r * rowBytes, out, r * cols, cols);
        }
        return out;
    }
}
