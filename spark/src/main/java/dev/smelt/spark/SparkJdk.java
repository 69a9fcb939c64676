package dev.smelt.spark;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * The JDK rules for Spark on JDK 25, checked before a session starts.
 *
 * <p>Spark 4.2 supports Java 25 only from 25.0.3: earlier 25.0.x builds have a G1 bug with pinned objects that
 * corrupts data (JDK-8348977 family; Spark's own Java 25 support note). {@code -XX:+UseCompactObjectHeaders} is
 * refused because a JDK 25 data-corruption bug with compact headers is still open.
 */
public final class SparkJdk {
    /** The first JDK 25 update on which Spark 4.2 does not risk the G1 pinned-object corruption. */
    static final Runtime.Version FIRST_SAFE_25 = Runtime.Version.parse("25.0.3");
    static final String COMPACT_HEADERS = "UseCompactObjectHeaders";

    private SparkJdk() {
    }

    /** Why {@code version} (with compact object headers on or off) must not run Spark, or null when it may. */
    static String problem(Runtime.Version version, boolean compactHeaders) {
        if (version.feature() == 25 && version.compareToIgnoreOptional(FIRST_SAFE_25) < 0) {
            return "Spark needs JDK 25.0.3 or newer on the 25 line, this is " + version
                    + ": before 25.0.3 a G1 garbage collector bug with pinned objects can corrupt data. Update the JDK (JAVA_HOME).";
        }
        if (compactHeaders) {
            return "-XX:+" + COMPACT_HEADERS + " is set: Spark jobs must not run with compact object headers on JDK 25 "
                    + "(an unfixed data-corruption bug); remove it from SMELT_JAVA_OPTS / JAVA_TOOL_OPTIONS.";
        }
        return null;
    }

    /** Why executor JVM options {@code javaOptions} are refused, or null. */
    static String optionsProblem(String javaOptions) {
        if (javaOptions != null && javaOptions.contains("+" + COMPACT_HEADERS)) {
            return "executor JVM options enable -XX:+" + COMPACT_HEADERS
                    + ": refused, a JDK 25 data-corruption bug with compact object headers is unfixed";
        }
        return null;
    }

    /** Throws {@link IllegalStateException} with the reason when this JVM must not run Spark. */
    public static void check() {
        String p = problem(Runtime.version(), compactHeadersOn());
        if (p != null) {
            throw new IllegalStateException(p);
        }
    }

    static boolean compactHeadersOn() {
        try {
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return vm != null && Boolean.parseBoolean(vm.getVMOption(COMPACT_HEADERS).getValue());
        } catch (IllegalArgumentException e) {
            return false; // a JVM without the flag cannot have it on
        }
    }
}
