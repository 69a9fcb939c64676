package dev.smelt.model.classify;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Multi-label metrics as scikit-learn computes them: micro-F1 (true/false positives and false negatives summed over
 * every label), macro-F1 (mean of the per-label F1 over every label that occurs as gold or predicted), exact-match
 * (subset) accuracy, and per-label precision/recall/F1 (0 where undefined: zero_division=0) with the gold count.
 * A gold label the classifier does not know counts as a false negative. Immutable.
 */
public record MultiLabelScore(int n, double microF1, double microPrecision, double microRecall, double macroF1, double exactMatch,
                              List<LabelStats> perLabel) {
    /** One label's precision, recall, F1 and gold count (support), as eval's per-label report. */
    public record LabelStats(String label, double precision, double recall, double f1, int support) {
    }

    /** Scores predicted label sets against gold ones (same order, same length). */
    public static MultiLabelScore of(List<? extends Set<String>> gold, List<? extends Set<String>> predicted) {
        if (gold.size() != predicted.size()) {
            throw new IllegalArgumentException(gold.size() + " gold sets but " + predicted.size() + " predictions");
        }
        Set<String> names = new TreeSet<>();
        gold.forEach(names::addAll);
        predicted.forEach(names::addAll);
        Map<String, int[]> c = new LinkedHashMap<>(); // label -> {tp, fp, fn}
        names.forEach(l -> c.put(l, new int[3]));
        int exact = 0;
        for (int i = 0; i < gold.size(); i++) {
            Set<String> g = gold.get(i);
            Set<String> p = predicted.get(i);
            exact += g.equals(p) ? 1 : 0;
            for (String l : p) {
                c.get(l)[g.contains(l) ? 0 : 1]++;
            }
            for (String l : g) {
                c.get(l)[2] += p.contains(l) ? 0 : 1;
            }
        }
        int tp = 0;
        int fp = 0;
        int fn = 0;
        double macro = 0;
        List<LabelStats> per = new ArrayList<>();
        for (Map.Entry<String, int[]> e : c.entrySet()) {
            int[] k = e.getValue();
            tp += k[0];
            fp += k[1];
            fn += k[2];
            double pr = ratio(k[0], k[0] + k[1]);
            double rc = ratio(k[0], k[0] + k[2]);
            double f1 = f1(k[0], k[1], k[2]);
            macro += f1;
            per.add(new LabelStats(e.getKey(), pr, rc, f1, k[0] + k[2]));
        }
        int n = gold.size();
        return new MultiLabelScore(n, f1(tp, fp, fn), ratio(tp, tp + fp), ratio(tp, tp + fn), per.isEmpty() ? 0 : macro / per.size(),
                n == 0 ? 0 : (double) exact / n, per);
    }

    /** Micro-F1 alone of boolean predictions {@code p[i][j] >= threshold} against gold {@code y[i][j]}. */
    public static double microF1(double[][] p, boolean[][] y, double threshold) {
        int tp = 0;
        int fp = 0;
        int fn = 0;
        for (int i = 0; i < p.length; i++) {
            for (int j = 0; j < p[i].length; j++) {
                boolean on = p[i][j] >= threshold;
                tp += on && y[i][j] ? 1 : 0;
                fp += on && !y[i][j] ? 1 : 0;
                fn += !on && y[i][j] ? 1 : 0;
            }
        }
        return f1(tp, fp, fn);
    }

    /** F1 = 2tp / (2tp + fp + fn), 0 when there is nothing to count. */
    public static double f1(int tp, int fp, int fn) {
        return tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
    }

    private static double ratio(int a, int b) {
        return b == 0 ? 0 : (double) a / b;
    }

    /** Writes the scores into {@code m} with prefix (e.g. "test_"), per-label stats in eval's per-label shape. */
    public void write(ObjectNode m, String prefix) {
        m.put(prefix + "examples", n).put(prefix + "micro_f1", microF1).put(prefix + "micro_precision", microPrecision)
                .put(prefix + "micro_recall", microRecall).put(prefix + "macro_f1", macroF1).put(prefix + "exact_match", exactMatch);
        ArrayNode a = m.putArray(prefix + "per_label");
        for (LabelStats s : perLabel) {
            a.addObject().put("label", s.label()).put("precision", s.precision()).put("recall", s.recall()).put("f1", s.f1())
                    .put("support", s.support());
        }
    }
}
