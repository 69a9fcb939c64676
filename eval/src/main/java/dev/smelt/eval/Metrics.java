package dev.smelt.eval;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Aggregate metrics of a list of scored examples. Macro-F1 averages per-label F1 over every label that
 * occurs as gold or as a (valid) prediction, as scikit-learn does with the union of labels; an invalid
 * prediction counts as a miss of the gold label. Percentiles are nearest-rank. Immutable.
 *
 * @param confusionLabels row/column names: the label set, then {@link Scoring#INVALID}
 * @param confusion       [gold][predicted] counts
 * @param byTarget        per answering target: count, accuracy, cost (the "paths" of a router)
 * @param judgeMean       mean judge grade (1-10) over the judged examples, NaN when none was judged
 */
public record Metrics(int n, double accuracy, double meanScore, double validity, double macroF1, int errors, double latencyP50Ms,
                      double latencyP95Ms, long inputTokens, long outputTokens, BigDecimal costUsd, List<String> confusionLabels,
                      int[][] confusion, Map<String, Path> byTarget, double judgeMean, int judged) {

    /** One label's precision, recall and F1 (0 where undefined, as scikit-learn's zero_division=0) and its gold count. */
    public record ClassStats(String label, double precision, double recall, double f1, int support) {
    }

    /**
     * Per-label precision, recall, F1 and support from the confusion matrix, for every label that occurs as gold or as a
     * prediction (the labels macro-F1 averages over), in label order; empty without a label set. An invalid prediction
     * counts against the gold label's recall and no label's precision.
     */
    public List<ClassStats> perClass() {
        List<ClassStats> out = new ArrayList<>();
        if (confusion == null) {
            return out;
        }
        int k = confusionLabels.size() - 1; // the last row/column is Scoring.INVALID
        for (int l = 0; l < k; l++) {
            int tp = confusion[l][l];
            int gold = Arrays.stream(confusion[l]).sum();
            int pred = 0;
            for (int[] row : confusion) {
                pred += row[l];
            }
            if (gold == 0 && pred == 0) {
                continue;
            }
            double p = pred == 0 ? 0 : (double) tp / pred;
            double r = gold == 0 ? 0 : (double) tp / gold;
            out.add(new ClassStats(confusionLabels.get(l), p, r, p + r == 0 ? 0 : 2 * p * r / (p + r), gold));
        }
        return out;
    }

    /** One answering target's share of the work. */
    public record Path(int n, double accuracy, BigDecimal costUsd, long inputTokens, long outputTokens) {
    }

    public static Metrics of(List<EvalRecord> rs, List<String> labels) {
        int n = rs.size();
        int correct = 0;
        int valid = 0;
        int errors = 0;
        double score = 0;
        long in = 0;
        long out = 0;
        BigDecimal cost = BigDecimal.ZERO;
        double[] lat = new double[n];
        Map<String, List<EvalRecord>> by = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            EvalRecord r = rs.get(i);
            correct += r.correct() ? 1 : 0;
            valid += r.valid() ? 1 : 0;
            errors += r.error() != null ? 1 : 0;
            score += r.score();
            in += r.inputTokens();
            out += r.outputTokens();
            cost = cost.add(r.costUsd());
            lat[i] = r.latencyMs();
            by.computeIfAbsent(r.answeredBy() == null ? "(none)" : r.answeredBy(), k -> new ArrayList<>()).add(r);
        }
        Arrays.sort(lat);
        Map<String, Path> paths = new LinkedHashMap<>();
        by.forEach((k, v) -> {
            int c = (int) v.stream().filter(EvalRecord::correct).count();
            paths.put(k, new Path(v.size(), (double) c / v.size(), v.stream().map(EvalRecord::costUsd).reduce(BigDecimal.ZERO, BigDecimal::add),
                    v.stream().mapToLong(EvalRecord::inputTokens).sum(), v.stream().mapToLong(EvalRecord::outputTokens).sum()));
        });
        List<String> cl = new ArrayList<>(labels);
        int[][] conf = null;
        double macro = Double.NaN;
        if (!labels.isEmpty()) {
            cl.add(Scoring.INVALID);
            conf = new int[cl.size()][cl.size()];
            Map<String, Integer> idx = new LinkedHashMap<>();
            for (int i = 0; i < cl.size(); i++) {
                idx.put(cl.get(i), i);
            }
            for (EvalRecord r : rs) {
                Integer g = idx.get(r.expected());
                if (g == null) {
                    throw new IllegalArgumentException("example " + r.id() + ": expected label '" + r.expected() + "' is not in the task's label set");
                }
                conf[g][idx.getOrDefault(r.predicted(), cl.size() - 1)]++;
            }
            macro = macroF1(conf, labels.size());
        }
        double judgeSum = 0;
        int judged = 0;
        for (EvalRecord r : rs) {
            if (!Double.isNaN(r.judgeScore())) {
                judgeSum += r.judgeScore();
                judged++;
            }
        }
        return new Metrics(n, n == 0 ? 0 : (double) correct / n, n == 0 ? 0 : score / n, n == 0 ? 0 : (double) valid / n, macro, errors,
                percentile(lat, 50), percentile(lat, 95), in, out, cost, cl, conf, paths, judged == 0 ? Double.NaN : judgeSum / judged, judged);
    }

    /** Macro-F1 over labels 0..k-1 that occur as gold or prediction (the last row/column is "invalid"). */
    static double macroF1(int[][] c, int k) {
        double sum = 0;
        int used = 0;
        for (int l = 0; l < k; l++) {
            int tp = c[l][l];
            int gold = Arrays.stream(c[l]).sum();
            int pred = 0;
            for (int[] row : c) {
                pred += row[l];
            }
            if (gold == 0 && pred == 0) {
                continue;
            }
            used++;
            sum += tp == 0 ? 0 : 2.0 * tp / (gold + pred);
        }
        return used == 0 ? 0 : sum / used;
    }

    /** Nearest-rank percentile of sorted values (0 for none). */
    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
