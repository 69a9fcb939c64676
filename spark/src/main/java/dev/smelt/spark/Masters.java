package dev.smelt.spark;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Spark master URLs: validated up front (Spark's own error is a stack trace) and the cores each executor has. */
final class Masters {
    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|[1-9][0-9]*)(?:,\\s*[0-9]+)?\\])?");
    private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[\\s*([1-9][0-9]*)\\s*,\\s*([1-9][0-9]*)\\s*,\\s*([1-9][0-9]*)\\s*\\]");
    private static final Pattern REMOTE = Pattern.compile("(spark|k8s|mesos)://\\S+|yarn");

    private Masters() {
    }

    /** Throws {@link IllegalArgumentException} naming the accepted forms when {@code master} is none of them. */
    static void validate(String master) {
        if (master == null || !(LOCAL.matcher(master).matches() || LOCAL_CLUSTER.matcher(master).matches() || REMOTE.matcher(master).matches())) {
            throw new IllegalArgumentException("--master '" + master + "' is not a Spark master URL: use local, local[N], local[*], "
                    + "local-cluster[WORKERS,CORES,MEMORY_MB], spark://HOST:PORT, k8s://https://HOST:PORT or yarn");
        }
    }

    /** local, local[N], local[*]: the driver's JVM is the only executor. */
    static boolean isLocal(String master) {
        return LOCAL.matcher(master).matches();
    }

    static boolean isLocalCluster(String master) {
        return LOCAL_CLUSTER.matcher(master).matches();
    }

    /** Cores of one executor when the URL says (local[N], local-cluster[n,C,m]); 0 when the executor must ask its own JVM. */
    static int executorCores(String master) {
        Matcher m = LOCAL.matcher(master);
        if (m.matches()) {
            String n = m.group(1);
            return n == null ? 1 : n.equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(n);
        }
        m = LOCAL_CLUSTER.matcher(master);
        return m.matches() ? Integer.parseInt(m.group(2)) : 0;
    }

    /** Executor JVMs the job runs on, to split a global rate limit: local 1, local-cluster its workers, else spark.executor.instances (2). */
    static int executors(String master, org.apache.spark.SparkConf conf) {
        if (LOCAL.matcher(master).matches()) {
            return 1;
        }
        Matcher m = LOCAL_CLUSTER.matcher(master);
        if (m.matches()) {
            return Integer.parseInt(m.group(1));
        }
        return Math.max(1, conf.getInt("spark.executor.instances", 2));
    }
}
