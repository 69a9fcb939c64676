package dev.smelt.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JDK rules, master URLs and the SPARK_HOME layout: no Spark session needed. */
class SparkJdkTest {
    @Test
    void refusesJdk25BeforeUpdate3WithTheReason() {
        for (String v : List.of("25", "25.0.1", "25.0.2+7", "25-ea")) {
            assertThat(SparkJdk.problem(Runtime.Version.parse(v), false)).as(v).contains("25.0.3").contains("G1").contains("pinned");
        }
        for (String v : List.of("25.0.3", "25.0.3+9", "25.0.10", "26", "26.0.1")) {
            assertThat(SparkJdk.problem(Runtime.Version.parse(v), false)).as(v).isNull();
        }
    }

    @Test
    void refusesCompactObjectHeadersInThisJvmOrTheExecutors() {
        assertThat(SparkJdk.problem(Runtime.Version.parse("25.0.3"), true)).contains("UseCompactObjectHeaders").contains("corruption");
        assertThat(SparkJdk.optionsProblem("-Xmx2g -XX:+UseCompactObjectHeaders")).contains("refused");
        assertThat(SparkJdk.optionsProblem("-XX:-UseCompactObjectHeaders")).isNull();
        assertThat(SparkJobs.executorJavaOptions("-Dx=1")).contains("--add-modules jdk.incubator.vector")
                .contains("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED").endsWith("-Dx=1");
    }

    @Test
    void masterUrlsAreValidatedAndGiveTheCoresOfAnExecutor() {
        assertThat(Masters.executorCores("local[3]")).isEqualTo(3);
        assertThat(Masters.executorCores("local")).isEqualTo(1);
        assertThat(Masters.executorCores("local-cluster[2,1,1024]")).isEqualTo(1);
        assertThat(Masters.executorCores("spark://h:7077")).isZero();
        for (String bad : List.of("locl[2]", "local[0]", "local-cluster[2,1]", "", "http://x")) {
            assertThatThrownBy(() -> Masters.validate(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("is not a Spark master URL");
        }
    }

    @Test
    void sparkHomeLayoutLinksTheClasspathJarsAndReturnsItsFolders(@TempDir Path dir) throws Exception {
        Path a = Files.writeString(Files.createDirectories(dir.resolve("a")).resolve("x.jar"), "1");
        Path b = Files.writeString(Files.createDirectories(dir.resolve("b")).resolve("x.jar"), "2");
        Path classes = Files.createDirectories(dir.resolve("classes"));
        Path home = dir.resolve("home");
        String cp = String.join(java.io.File.pathSeparator, a.toString(), classes.toString(), b.toString(), dir.resolve("gone.jar").toString());
        for (int run = 0; run < 2; run++) { // a second run replaces the first's links
            assertThat(SparkHomeLayout.build(home, cp)).containsExactly(classes.toString());
            try (var s = Files.list(home.resolve("jars"))) {
                assertThat(s.map(p -> p.getFileName().toString()).sorted()).containsExactly("1-x.jar", "x.jar");
            }
            assertThat(Files.readString(home.resolve("assembly/target/scala-2.13/jars/x.jar"))).isEqualTo("1");
            assertThat(home.resolve("launcher/target/scala-2.13")).isDirectory();
        }
    }
}
