package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The check {@code ./mvnw} runs before Maven starts ({@code .mvn/require-jdk.sh}): with a JDK 25 anywhere it lets
 * Maven run (the toolchains plugin then picks that JDK); with none it stops with one sentence naming what it found.
 * Fake JDK homes (a {@code release} file and a {@code bin/javac}) stand in for installed JDKs.
 */
class RequireJdkScriptTest {
    private static final Path SCRIPT = Path.of("..", ".mvn", "require-jdk.sh").toAbsolutePath().normalize();

    @TempDir Path tmp;

    @Test
    void withoutAnyJdk25ItFailsNamingTheJdkItFoundAndJavaHome() throws Exception {
        Path jdk17 = fakeJdk("jdk-17", "17.0.2");
        Result r = source(Map.of("JAVA_HOME", jdk17.toString(), "SMELT_JDK_CANDIDATES", jdk17.toString()));
        assertThat(r.code).isEqualTo(1);
        assertThat(r.out).doesNotContain("continued");
        assertThat(r.err).contains("JDK 25 or newer is required; found Java 17.0.2 at " + jdk17 + "; set JAVA_HOME");
    }

    @Test
    void aJdk25InAnInstallationFolderLetsMavenRunOnAnOlderJdk() throws Exception {
        Path jdk17 = fakeJdk("jdk-17", "17.0.2");
        Path jdk25 = fakeJdk("jdk-25", "25.0.1");
        Result r = source(Map.of("JAVA_HOME", jdk17.toString(), "SMELT_JDK_CANDIDATES", jdk17 + " " + jdk25));
        assertThat(r.code).as(r.err).isZero();
        assertThat(r.out).contains("continued");
    }

    @Test
    void aNewerJdkAsJavaHomeIsEnough() throws Exception {
        Path jdk26 = fakeJdk("jdk-26", "26");
        Result r = source(Map.of("JAVA_HOME", jdk26.toString(), "SMELT_JDK_CANDIDATES", tmp.resolve("none").toString()));
        assertThat(r.code).as(r.err).isZero();
    }

    private Path fakeJdk(String name, String version) throws IOException {
        Path home = Files.createDirectories(tmp.resolve(name).resolve("bin"));
        Path javac = Files.writeString(home.resolve("javac"), "#!/bin/sh\n");
        assertThat(javac.toFile().setExecutable(true)).isTrue();
        Files.writeString(home.getParent().resolve("release"), "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"" + version + "\"\n");
        return home.getParent();
    }

    private record Result(int code, String out, String err) {}

    /** Sources the script the way mvnw does ({@code set -euf}, POSIX sh) with a clean environment. */
    private Result source(Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", "set -euf; . \"$1\"; echo continued", "sh", SCRIPT.toString());
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin");
        pb.environment().put("HOME", tmp.toString());
        pb.environment().putAll(env);
        Path out = tmp.resolve("out.txt");
        Path err = tmp.resolve("err.txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        int code = p.waitFor();
        return new Result(code, Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }
}
