package dev.smelt.compress.quant;

import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Quantizes every tensor of an F32 GGUF to the type llama-quantize chose for it in a reference file and
 * compares bytes, collecting per-type counts and, for mismatches, the first differing block and the
 * (optionally importance-weighted) RMS error of ours and theirs against the F32 source.
 */
final class ReferenceComparison {
    /** Per-type tally. */
    static final class Tally {
        int identical;
        int total;
        final List<String> mismatches = new ArrayList<>();
    }

    final Map<GgmlType, Tally> byType = new TreeMap<>();
    /** Tensors quantized with an importance vector. */
    int withImportance;
    /** Of those, tensors whose bytes differ from quantizing the same tensor without importance. */
    int changedByImportance;

    /**
     * @param importance per-tensor imatrix (tensor name → [ne0]), or null
     */
    static ReferenceComparison run(Path f32File, Path quantFile, Map<String, float[]> importance, ThreadPool pool)
            throws IOException {
        ReferenceComparison rc = new ReferenceComparison();
        try (GgufFile src = GgufFile.open(f32File); GgufFile ref = GgufFile.open(quantFile)) {
            for (GgufTensorInfo t : ref.tensors()) {
                if (t.type() == GgmlType.F32) {
                    continue;
                }
                GgufTensorInfo s = src.tensor(t.name());
                if (s == null) {
                    throw new AssertionError(f32File + " has no tensor " + t.name());
                }
                float[] x = GgufTensors.f32(src, s);
                byte[] theirs = GgufTensors.bytes(ref, t);
                int cols = (int) t.ne0();
                int rows = (int) t.rows();
                float[] qw = importance == null ? null : importance.get(t.name());
                byte[] ours = Quantizers.quantizeMatrix(t.type(), x, rows, cols, qw, pool);
                if (qw != null) {
                    rc.withImportance++;
                    byte[] plain = Quantizers.quantizeMatrix(t.type(), x, rows, cols, null, pool);
                    if (!Arrays.equals(plain, ours)) {
                        rc.changedByImportance++;
                    }
                }
                Tally tally = rc.byType.computeIfAbsent(t.type(), k -> new Tally());
                tally.total++;
                int diff = Arrays.mismatch(ours, theirs);
                if (diff < 0) {
                    tally.identical++;
                } else {
                    int bs = t.type().typeSize();
                    int nDiffBlocks = 0;
                    for (int b = 0; b < ours.length / bs; b++) {
                        if (Arrays.mismatch(ours, b * bs, b * bs + bs, theirs, b * bs, b * bs + bs) >= 0) {
                            nDiffBlocks++;
                        }
                    }
                    float[] dqOurs = TestDequant.dequantize(t.type(), ours, 0, x.length);
                    float[] dqTheirs = TestDequant.dequantize(t.type(), theirs, 0, x.length);
                    tally.mismatches.add(String.format(
                            "%s [%d x %d]: first differing byte %d (block %d), %d of %d blocks differ; RMS error vs F32%s ours %.6g theirs %.6g",
                            t.name(), rows, cols, diff, diff / bs, nDiffBlocks, ours.length / bs,
                            qw == null ? "" : " (imatrix-weighted)", rms(x, dqOurs, qw, cols), rms(x, dqTheirs, qw, cols)));
                }
            }
        }
        return rc;
    }

    static double rms(float[] x, float[] y, float[] qw, int cols) {
        double s = 0;
        double w = 0;
        for (int i = 0; i < x.length; i++) {
            double wi = qw == null ? 1 : qw[i % cols];
            double d = x[i] - y[i];
            s += wi * d * d;
            w += wi;
        }
        return Math.sqrt(s / w);
    }

    boolean allIdentical() {
        return byType.values().stream().allMatch(t -> t.identical == t.total);
    }

    String report(String label) {
        StringBuilder sb = new StringBuilder(label).append(":");
        byType.forEach((type, t) -> {
            sb.append(String.format("%n  %-7s %d/%d tensors identical", type, t.identical, t.total));
            t.mismatches.forEach(m -> sb.append("\n    ").append(m));
        });
        return sb.toString();
    }
}
