package dev.smelt.spark;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One clear line from a failed Spark job. A task's exception reaches the driver inside a SparkException whose
 * message holds the executor's stack trace ("Lost task 0.0 in stage 1.0 (TID 1) (host executor 0):
 * java.lang.IllegalArgumentException: the reason\n\tat ..."); in local mode the cause is also attached.
 */
public final class SparkErrors {
    private static final Pattern LOST_TASK = Pattern.compile("\\(TID \\d+\\) \\([^)]*\\): (?:[\\w.$]+(?:Exception|Error): )?(.*)");

    private SparkErrors() {
    }

    /** The message a user should see for {@code t}. */
    public static String describe(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof IllegalArgumentException || c instanceof IllegalStateException || c instanceof java.io.IOException) {
                if (!c.getClass().getName().startsWith("org.apache.")) {
                    return firstLine(c);
                }
            }
        }
        String first = firstLine(t);
        Matcher m = LOST_TASK.matcher(first);
        return m.find() ? m.group(1) : first;
    }

    static String firstLine(Throwable t) {
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int nl = m.indexOf('\n');
        return (nl < 0 ? m : m.substring(0, nl)).strip();
    }
}
