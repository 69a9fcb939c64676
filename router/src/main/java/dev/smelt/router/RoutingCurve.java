package dev.smelt.router;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Quality of a two-model router as the share of strong-model calls grows, and RouteLLM's summary
 * metrics. Examples are sent to the strong model in decreasing order of routing score; a point is
 * taken at every distinct score (ties move together, as one threshold does), plus the all-weak start.
 * <ul>
 * <li>PGR(share) = (quality(share) − quality(weak)) / (quality(strong) − quality(weak))</li>
 * <li>APGR = area under PGR over share ∈ [0, 1] (trapezoids between points; a random router gets ≈ 0.5)</li>
 * <li>CPT(x) = the smallest share at a point whose PGR ≥ x</li>
 * </ul>
 * PGR, APGR and CPT are NaN when the strong model is no better than the weak one (no gap to recover).
 * Immutable.
 *
 * @param points share, quality and the threshold that gives it (score ≥ threshold → strong)
 */
public record RoutingCurve(List<Point> points, double weakQuality, double strongQuality) {
    /** PGR within this of a CPT target counts as reaching it (quality ratios like (2/3 − 1/3)/(2/3) round below 0.5). */
    static final double PGR_TOLERANCE = 1e-9;

    /** One threshold's outcome. */
    public record Point(double threshold, double share, double quality, double pgr) {
    }

    /**
     * @param weak   per-example quality of the weak model's answer (1/0 for correct/wrong, or a score)
     * @param strong the same for the strong model
     * @param score  routing score per example (higher → more in need of the strong model)
     */
    public static RoutingCurve of(double[] weak, double[] strong, double[] score) {
        int n = weak.length;
        if (n == 0 || strong.length != n || score.length != n) {
            throw new IllegalArgumentException("need the same non-zero number of weak, strong and score values, got "
                    + weak.length + ", " + strong.length + ", " + score.length);
        }
        double qw = Arrays.stream(weak).sum() / n;
        double qs = Arrays.stream(strong).sum() / n;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -score[i]));
        List<Point> pts = new ArrayList<>();
        double sum = Arrays.stream(weak).sum();
        pts.add(new Point(Double.POSITIVE_INFINITY, 0, qw, pgr(qw, qw, qs)));
        int k = 0;
        while (k < n) {
            double t = score[order[k]];
            while (k < n && score[order[k]] == t) {
                sum += strong[order[k]] - weak[order[k]];
                k++;
            }
            double q = sum / n;
            pts.add(new Point(t, (double) k / n, q, pgr(q, qw, qs)));
        }
        return new RoutingCurve(List.copyOf(pts), qw, qs);
    }

    private static double pgr(double q, double qw, double qs) {
        return qs > qw ? (q - qw) / (qs - qw) : Double.NaN;
    }

    /** Area under PGR(share) over [0, 1]. */
    public double apgr() {
        double a = 0;
        for (int i = 1; i < points.size(); i++) {
            Point p = points.get(i - 1);
            Point c = points.get(i);
            a += (c.share() - p.share()) * (p.pgr() + c.pgr()) / 2;
        }
        return a;
    }

    /** Smallest share of strong calls at which PGR reaches {@code x} (e.g. 0.5 for CPT(50%)); NaN without a gap. */
    public double cpt(double x) {
        for (Point p : points) {
            if (p.pgr() >= x - PGR_TOLERANCE) {
                return p.share();
            }
        }
        return Double.NaN;
    }

    /** The point with the highest quality at or below {@code maxShare} strong calls. */
    public Point bestWithin(double maxShare) {
        Point best = points.getFirst();
        for (Point p : points) {
            if (p.share() <= maxShare + 1e-12 && p.quality() > best.quality()) {
                best = p;
            }
        }
        return best;
    }

    /**
     * The threshold whose share of strong calls is closest to {@code share} without exceeding it
     * (threshold calibration to a target share of teacher calls).
     */
    public static double thresholdForShare(double[] score, double share) {
        if (!(share >= 0 && share <= 1)) {
            throw new IllegalArgumentException("target share must be in [0, 1], got " + share);
        }
        double[] s = score.clone();
        Arrays.sort(s);
        int n = s.length;
        int k = (int) Math.floor(share * n + 1e-9); // examples allowed to the strong model
        if (k == 0) {
            return Double.POSITIVE_INFINITY;
        }
        double t = s[n - k]; // the k-th highest score
        // ties at t would push the share above the target: step to the next higher distinct score
        int atOrAbove = 0;
        for (double v : s) {
            atOrAbove += v >= t ? 1 : 0;
        }
        if (atOrAbove > k) {
            double next = Double.POSITIVE_INFINITY;
            for (double v : s) {
                if (v > t && v < next) {
                    next = v;
                }
            }
            return next;
        }
        return t;
    }
}
