package dev.smelt.testkit;

/**
 * Array comparisons whose failure message reports the first offending index, both values and the
 * largest difference seen, as the style guide asks.
 */
public final class Tolerances {
    private Tolerances() {
    }

    /** Asserts |expected[i] − actual[i]| ≤ abs + rel·|expected[i]| for every i. */
    public static void assertClose(String what, float[] expected, float[] actual, double abs, double rel) {
        if (expected.length != actual.length) {
            throw new AssertionError(what + ": length " + actual.length + " != expected " + expected.length);
        }
        int firstBad = -1;
        double maxDiff = 0;
        int maxAt = -1;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs((double) expected[i] - actual[i]);
            if (!(d <= abs + rel * Math.abs(expected[i])) && firstBad < 0) {
                firstBad = i;
            }
            if (d > maxDiff || Double.isNaN(d)) {
                maxDiff = d;
                maxAt = i;
            }
        }
        if (firstBad >= 0) {
            throw new AssertionError(String.format(
                    "%s: index %d expected %.9g got %.9g (tolerance abs %.3g rel %.3g); max diff %.6g at index %d of %d",
                    what, firstBad, expected[firstBad], actual[firstBad], abs, rel, maxDiff, maxAt, expected.length));
        }
    }

    /** Largest |a[i] − b[i]|. */
    public static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    /** Largest |a[i]|. */
    public static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
