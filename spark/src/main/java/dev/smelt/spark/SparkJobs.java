package dev.smelt.spark;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Starts the Spark session of a {@code smelt spark} command: the JDK check, the master URL, the executors' JVM options
 * (the Vector API module and the {@code --add-opens} Spark needs on JDK 25) and, for {@code local-cluster}, a
 * {@link SparkHomeLayout}.
 */
public final class SparkJobs {
    /** java.base packages Spark reaches into by reflection (Spark's own JavaModuleOptions list, kept to what JDK 25 needs). */
    public static final List<String> ADD_OPENS = List.of("java.base/java.lang", "java.base/java.lang.invoke", "java.base/java.lang.reflect",
            "java.base/java.io", "java.base/java.net", "java.base/java.nio", "java.base/java.util", "java.base/java.util.concurrent",
            "java.base/java.util.concurrent.atomic", "java.base/jdk.internal.ref", "java.base/sun.nio.ch", "java.base/sun.nio.cs",
            "java.base/sun.util.calendar");
    /** What every executor JVM needs besides the add-opens: smelt's kernels use the Vector API and FFM mmap. */
    static final String EXECUTOR_BASE_OPTIONS = "--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss8m "
            + "-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0";

    private SparkJobs() {
    }

    /** Engine threads per executor for {@code master} when --threads is not given: its cores, or 0 (ask the executor's JVM). */
    public static int defaultThreads(String master) {
        Masters.validate(master);
        return Masters.executorCores(master);
    }

    /** Executor JVMs of {@code spark}'s job (a global --rpm/--tpm is split evenly over them). */
    public static int executors(SparkSession spark) {
        return Masters.executors(spark.sparkContext().master(), spark.sparkContext().getConf());
    }

    /** The executor JVM options: smelt's base options, the add-opens, then the user's own (refused with compact headers). */
    static String executorJavaOptions(String userOptions) {
        StringBuilder sb = new StringBuilder(EXECUTOR_BASE_OPTIONS);
        for (String o : ADD_OPENS) {
            sb.append(" --add-opens=").append(o).append("=ALL-UNNAMED");
        }
        if (userOptions != null && !userOptions.isBlank()) {
            sb.append(' ').append(userOptions);
        }
        return sb.toString();
    }

    /**
     * A session on {@code master}. For {@code local-cluster} the environment's {@code SPARK_HOME} (set by ./smelt to
     * cli/target/spark-home) is filled from this JVM's classpath, since Spark's worker reads it to start executors.
     */
    public static SparkSession session(String master, String appName) throws IOException {
        SparkJdk.check();
        Masters.validate(master);
        SparkConf conf = new SparkConf(true).setMaster(master).setAppName(appName);
        String user = conf.get("spark.executor.extraJavaOptions", "");
        String bad = SparkJdk.optionsProblem(user);
        if (bad != null) {
            throw new IllegalArgumentException(bad);
        }
        conf.set("spark.executor.extraJavaOptions", executorJavaOptions(user));
        conf.setIfMissing("spark.ui.enabled", "false");
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        if (Masters.isLocalCluster(master)) {
            String home = System.getenv("SPARK_HOME");
            if (home == null || home.isBlank()) {
                throw new IllegalArgumentException("--master " + master + " starts executor JVMs from $SPARK_HOME, which is not set: "
                        + "./smelt sets it to cli/target/spark-home; elsewhere point it at an empty folder smelt may fill");
            }
            if (!java.nio.file.Files.isDirectory(Path.of(home, "bin")) || !java.nio.file.Files.exists(Path.of(home, "bin/spark-submit"))) {
                // not a Spark installation: make the layout from our classpath (an installed Spark is used as it is)
                List<String> dirs = SparkHomeLayout.build(Path.of(home), System.getProperty("java.class.path"));
                if (!dirs.isEmpty()) {
                    String extra = conf.get("spark.executor.extraClassPath", "");
                    conf.set("spark.executor.extraClassPath", String.join(java.io.File.pathSeparator, dirs)
                            + (extra.isEmpty() ? "" : java.io.File.pathSeparator + extra));
                }
            }
        }
        SparkSession s = SparkSession.builder().config(conf).getOrCreate();
        s.sparkContext().setLogLevel("WARN");
        return s;
    }
}
