package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.testkit.SharedData;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** run and chat on a stored model take its Modelfile's SYSTEM and PARAMETERs as defaults that flags override. */
class StoredParametersCliTest {
    @TempDir
    Path dir;
    private String before;

    @BeforeEach
    void createStoredModel() throws Exception {
        before = System.getProperty("smelt.home");
        System.setProperty("smelt.home", dir.resolve("home").toString());
        Path mf = Files.writeString(dir.resolve("Modelfile"), "FROM " + SharedData.model("shakespeare.gguf")
                + "\nPARAMETER temperature 0\nPARAMETER num_predict 3\nPARAMETER top_k 7\nSYSTEM be brief\n");
        String[] r = CliRun.run("create", "brief", "-f", mf.toString());
        assertThat(r[0]).as(r[2]).isEqualTo("0");
    }

    @AfterEach
    void restore() {
        if (before == null) {
            System.clearProperty("smelt.home");
        } else {
            System.setProperty("smelt.home", before);
        }
    }

    @Test
    void runTakesNumPredictFromTheModelfileUnlessGiven() {
        String[] r = CliRun.run("run", "brief", "--prompt-ids", "1,2", "--print-ids", "--ignore-eos");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1].strip().split("\\s+")).hasSize(3);
        r = CliRun.run("run", "brief", "--prompt-ids", "1,2", "--print-ids", "--ignore-eos", "-n", "5");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1].strip().split("\\s+")).hasSize(5);
    }

    @Test
    void chatStartsWithTheStoredSystemAndParametersAndSaysTheName() {
        String[] r = chat("/system\n/set\n/bye\n", "chat", "brief", "--top-k", "9");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[2]).contains("loading brief (").doesNotContain("sha256");
        assertThat(r[1]).contains("be brief", "temperature 0", "top_k 9", "num_predict 3");
        r = chat("/system\n/bye\n", "chat", "brief", "--system", "be long");
        assertThat(r[1]).contains("be long").doesNotContain("be brief");
    }

    private static String[] chat(String stdin, String... args) {
        InputStream old = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            return CliRun.run(args);
        } finally {
            System.setIn(old);
        }
    }
}
