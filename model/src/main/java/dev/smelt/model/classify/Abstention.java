package dev.smelt.model.classify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.Collection;
import java.util.Locale;
import java.util.Set;

/**
 * When a classifier answers {@link SoftmaxClassifier#UNKNOWN} instead of its best label. Abstention is off unless it
 * is asked for ({@code --oos-threshold P}, {@code --abstain-rate R}) or learnable (the data has an out-of-scope
 * label): a threshold "kept 95% of correct validation answers" invented without out-of-scope data turned 12% of
 * in-scope answers into "unknown" on a task nobody tuned it for (issue 15). Immutable.
 *
 * @param mode     how the threshold is set
 * @param value    the threshold ({@link Mode#THRESHOLD}) or the abstain rate ({@link Mode#ABSTAIN_RATE}); else 0
 * @param oosLabel the out-of-scope label ({@link Mode#OOS_LABEL}); else null
 */
public record Abstention(Mode mode, double value, String oosLabel) {
    /** How the threshold is chosen. */
    public enum Mode {
        /** Always the best label (threshold 0). */
        NONE,
        /** A threshold the user set. */
        THRESHOLD,
        /** The threshold below which this share of validation answers fall. */
        ABSTAIN_RATE,
        /** Fitted on the examples of the data's out-of-scope label (not trained as a class). */
        OOS_LABEL
    }

    /** Label names taken as "out of scope" when the data has one of them (case-insensitive). */
    public static final Set<String> OOS_NAMES = Set.of("oos", "out_of_scope", "out-of-scope", "outofscope", "other");

    public Abstention {
        if (mode == null) {
            throw new IllegalArgumentException("abstention mode is null");
        }
        if (mode == Mode.THRESHOLD && !(value >= 0 && value < 1)) {
            throw new IllegalArgumentException("--oos-threshold must be in [0, 1), got " + value);
        }
        if (mode == Mode.ABSTAIN_RATE && !(value > 0 && value < 1)) {
            throw new IllegalArgumentException("--abstain-rate must be in (0, 1), got " + value);
        }
        if (mode == Mode.OOS_LABEL && (oosLabel == null || oosLabel.isEmpty())) {
            throw new IllegalArgumentException("an out-of-scope abstention needs the label's name");
        }
    }

    public static Abstention none() {
        return new Abstention(Mode.NONE, 0, null);
    }

    public static Abstention threshold(double p) {
        return new Abstention(p == 0 ? Mode.NONE : Mode.THRESHOLD, p, null);
    }

    public static Abstention abstainRate(double r) {
        return new Abstention(Mode.ABSTAIN_RATE, r, null);
    }

    public static Abstention oosLabel(String label) {
        return new Abstention(Mode.OOS_LABEL, 0, label);
    }

    /**
     * The abstention a training run uses: an explicit {@code oosLabel} (must occur in {@code labels}), else a label of
     * {@link #OOS_NAMES} found in the data, else what the user asked for ({@code threshold} or {@code abstainRate},
     * null when not given; both given is an error), else none.
     */
    public static Abstention resolve(Collection<String> labels, String oosLabel, Double threshold, Double abstainRate) {
        if (threshold != null && abstainRate != null) {
            throw new IllegalArgumentException("give either --oos-threshold or --abstain-rate, not both");
        }
        if (oosLabel != null) {
            if (!labels.contains(oosLabel)) {
                throw new IllegalArgumentException("--oos-label '" + oosLabel + "' is not a label of the data (labels: "
                        + labels.stream().distinct().sorted().limit(20).toList() + ")");
            }
            return oosLabel(oosLabel);
        }
        if (threshold == null && abstainRate == null) {
            String found = labels.stream().distinct().filter(l -> OOS_NAMES.contains(l.toLowerCase(Locale.ROOT))).sorted().findFirst().orElse(null);
            if (found != null) {
                return oosLabel(found);
            }
        }
        return threshold != null ? threshold(threshold) : abstainRate != null ? abstainRate(abstainRate) : none();
    }

    /** Whether {@code label} is the out-of-scope label (its examples are held out of the classes). */
    public boolean isOos(String label) {
        return mode == Mode.OOS_LABEL && oosLabel.equals(label);
    }

    /**
     * The threshold on the calibrated top probability.
     *
     * @param inTop     top probability of each in-scope validation example
     * @param inCorrect whether its best label is right
     * @param oosTop    top probability of each out-of-scope example (only for {@link Mode#OOS_LABEL})
     * @param oosPrior  share of out-of-scope examples in the training data: the out-of-scope examples are weighted
     *                  so that they make up this share of the mix the threshold is fitted on
     */
    public double fit(double[] inTop, boolean[] inCorrect, double[] oosTop, double oosPrior) {
        return switch (mode) {
            case NONE -> 0;
            case THRESHOLD -> value;
            case ABSTAIN_RATE -> quantile(inTop, value);
            case OOS_LABEL -> bestSplit(inTop, inCorrect, oosTop, oosPrior);
        };
    }

    /** The value below which a share {@code rate} of {@code v} lies (0 for no data). */
    static double quantile(double[] v, double rate) {
        if (v.length == 0) {
            return 0;
        }
        double[] s = v.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.floor(rate * s.length))];
    }

    /**
     * The threshold t maximizing the weighted accuracy of "answer the best label when top ≥ t, else unknown" on
     * in-scope validation examples (right when the best label is right and kept) and out-of-scope ones (right when
     * rejected). Candidates are the observed probabilities; ties pick the lowest t (fewest abstentions).
     */
    static double bestSplit(double[] inTop, boolean[] inCorrect, double[] oosTop, double oosPrior) {
        if (oosTop.length == 0 || inTop.length == 0) {
            return 0;
        }
        double wOos = oosPrior / (1 - oosPrior) * inTop.length / oosTop.length; // each OOS example's weight
        double[] cand = new double[inTop.length + oosTop.length + 1];
        System.arraycopy(inTop, 0, cand, 0, inTop.length);
        System.arraycopy(oosTop, 0, cand, inTop.length, oosTop.length);
        cand[cand.length - 1] = 0;
        Arrays.sort(cand);
        double best = Double.NEGATIVE_INFINITY;
        double bestT = 0;
        for (double t : cand) {
            double s = 0;
            for (int i = 0; i < inTop.length; i++) {
                s += inCorrect[i] && inTop[i] >= t ? 1 : 0;
            }
            for (double o : oosTop) {
                s += o < t ? wOos : 0;
            }
            if (s > best + 1e-12) {
                best = s;
                bestT = t;
            }
        }
        return bestT;
    }

    /** How the threshold was set, for classifier.json. */
    public ObjectNode json(double threshold, int oosExamples) {
        ObjectNode o = new ObjectMapper().createObjectNode().put("mode", mode.name().toLowerCase(Locale.ROOT)).put("threshold", threshold);
        switch (mode) {
            case NONE -> o.put("source", "none: the best label is always answered (no out-of-scope label in the data, none asked for)");
            case THRESHOLD -> o.put("source", "--oos-threshold " + value);
            case ABSTAIN_RATE -> o.put("abstain_rate", value).put("source", "--abstain-rate " + value + " on the validation split");
            case OOS_LABEL -> o.put("oos_label", oosLabel).put("oos_examples", oosExamples)
                    .put("source", "fitted on " + oosExamples + " examples labelled '" + oosLabel + "'");
        }
        return o;
    }
}
