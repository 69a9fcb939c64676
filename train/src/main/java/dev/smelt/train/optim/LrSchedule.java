package dev.smelt.train.optim;

/**
 * Learning rate per optimizer step s (0-based): linear warm-up peak·(s+1)/warmup for s < warmup, then
 * cosine (peak·½(1 + cos πp)), linear (peak·(1 − p)) decay or constant, with p = (s − warmup) /
 * (total − warmup): Hugging Face's schedules, except that warm-up starts at peak/warmup instead of
 * wasting step 0 at lr 0. Immutable, thread-safe.
 */
public record LrSchedule(Kind kind, float peak, int warmup, int total) {
    public enum Kind { COSINE, LINEAR, CONSTANT }

    public LrSchedule {
        if (!(peak > 0) || Float.isInfinite(peak)) {
            throw new IllegalArgumentException("learning rate must be positive, got " + peak);
        }
        if (warmup < 0 || total < 1) {
            throw new IllegalArgumentException("warm-up " + warmup + " must be ≥ 0 and total steps " + total + " ≥ 1");
        }
    }

    public static Kind kind(String name) {
        try {
            return Kind.valueOf(name.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown learning-rate schedule '" + name + "'; use cosine, linear or constant");
        }
    }

    public float at(long step) {
        if (step < warmup) {
            return peak * (step + 1) / warmup;
        }
        double p = Math.min(1.0, (step - warmup) / (double) Math.max(1, total - warmup));
        return switch (kind) {
            case COSINE -> (float) (peak * 0.5 * (1 + Math.cos(Math.PI * p)));
            case LINEAR -> (float) (peak * (1 - p));
            case CONSTANT -> peak;
        };
    }
}
