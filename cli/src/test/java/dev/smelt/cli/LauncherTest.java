package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./smelt} launcher's first run, against a stand-in {@code mvnw} and {@code java} in a copy of the launcher:
 * it says what it builds and how long that takes, announces each module, builds with {@code package} (never
 * {@code install}), and runs the CLI afterwards; a second run does not build again.
 */
class LauncherTest {
    private static final Path LAUNCHER = Path.of("..", "smelt").toAbsolutePath().normalize();

    @TempDir Path root;

    @Test
    void theFirstRunSaysWhatItBuildsAndPackagesWithoutInstalling() throws Exception {
        Files.copy(LAUNCHER, root.resolve("smelt"), StandardCopyOption.COPY_ATTRIBUTES);
        // mvnw stand-in: records its arguments, prints Maven's module lines, writes the jar as `package` would
        script(root.resolve("mvnw"), """
                #!/bin/sh
                echo "$@" >> "$(dirname "$0")/mvnw-args.txt"
                echo "[INFO] Scanning for projects..."
                echo "[INFO] Building smelt-tensor 0.1.0-SNAPSHOT                              [1/2]"
                echo "[WARNING] something Maven says"
                echo "[INFO] Building smelt-cli 0.1.0-SNAPSHOT                                 [2/2]"
                mkdir -p "$(dirname "$0")/cli/target/lib" && touch "$(dirname "$0")/cli/target/smelt-cli.jar"
                """);
        Path jdk = root.resolve("jdk");
        script(jdk.resolve("bin/java"), """
                #!/bin/sh
                if [ "$1" = "-version" ]; then echo 'openjdk version "25.0.1" 2025-10-21' >&2; exit 0; fi
                echo "java ran: $*"
                """);
        Result first = run();
        assertThat(first.code).as(first.err).isZero();
        assertThat(first.err).contains("smelt: first run: compiling smelt's modules with Maven")
                .contains("minutes").contains("smelt:   [1/2] smelt-tensor").contains("smelt:   [2/2] smelt-cli")
                .contains("smelt: built in").doesNotContain("[WARNING]").doesNotContain("Scanning");
        assertThat(first.out).contains("java ran:").contains("dev.smelt.cli.Main --version");
        String args = Files.readString(root.resolve("mvnw-args.txt"));
        assertThat(args).contains("package").doesNotContain("install");
        assertThat(root.resolve("cli/target/build.log")).content().contains("[WARNING] something Maven says");

        Result second = run();
        assertThat(second.code).as(second.err).isZero();
        assertThat(second.err).doesNotContain("compiling");
        assertThat(Files.readAllLines(root.resolve("mvnw-args.txt"))).hasSize(1);
    }

    private static void script(Path p, String text) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        assertThat(p.toFile().setExecutable(true)).isTrue();
    }

    private record Result(int code, String out, String err) {}

    private Result run() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("smelt").toString(), "--version");
        pb.environment().put("JAVA_HOME", root.resolve("jdk").toString());
        pb.environment().put("HOME", root.toString());
        Path out = root.resolve("out.txt");
        Path err = root.resolve("err.txt");
        int code = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start().waitFor();
        return new Result(code, Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }
}
