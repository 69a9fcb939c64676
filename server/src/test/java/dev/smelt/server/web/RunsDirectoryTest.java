package dev.smelt.server.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.server.http.ApiException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scan's bounds and what it skips; ids round-trip and refuse what is not a plain relative path. */
class RunsDirectoryTest {
    @TempDir
    Path root;

    private void eval(String rel) throws Exception {
        Path d = Files.createDirectories(root.resolve(rel));
        Files.writeString(d.resolve("result.json"), "{}");
    }

    @Test
    void scanIsBoundedInDepthAndSkipsHiddenFolders() throws Exception {
        eval("a");
        eval("1/2/3/4/5/6/7/8"); // 8 levels below the root: found
        eval("1/2/3/4/5/6/7/8/9"); // 9: beyond MAX_DEPTH
        eval(".cache/x");
        RunsDirectory.Scan s = new RunsDirectory(root).scan();
        assertThat(s.runs()).extracting(RunsDirectory.Run::path).containsExactly("1/2/3/4/5/6/7/8", "a");
        assertThat(s.truncated()).isFalse();
    }

    @Test
    void theRootItselfCanBeARun() throws Exception {
        eval(".");
        RunsDirectory runs = new RunsDirectory(root);
        RunsDirectory.Run r = runs.scan().runs().getFirst();
        assertThat(r.path()).isEqualTo(".");
        assertThat(runs.run(r.id()).dir()).isEqualTo(root.toRealPath());
    }

    @Test
    void idsRoundTripAndRefuseClimbing() throws Exception {
        eval("x/y");
        RunsDirectory runs = new RunsDirectory(root);
        assertThat(runs.run(RunsDirectory.encode("x/y")).kind()).isEqualTo(RunsDirectory.Kind.EVAL);
        for (String bad : new String[] {"x", "x/../x/y", "../" + root.getFileName() + "/x/y", "", "x\\y", "C:/x"}) {
            assertThatThrownBy(() -> runs.run(RunsDirectory.encode(bad))).as(bad).isInstanceOf(ApiException.class)
                    .extracting(e -> ((ApiException) e).status()).isEqualTo(404);
        }
    }

    @Test
    void aMissingFolderIsRefused() {
        assertThatThrownBy(() -> new RunsDirectory(root.resolve("nope"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no such folder");
    }
}
