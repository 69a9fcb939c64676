package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.testkit.HubStub;
import dev.smelt.testkit.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pull / list / cp / rm / create from the command line, against a temporary store and a local stand-in for the hub. */
class StoreCommandsTest {
    @TempDir
    Path dir;
    private HubStub hub;
    private String before;

    @BeforeEach
    void start() throws Exception {
        before = System.getProperty("smelt.home");
        System.setProperty("smelt.home", dir.resolve("home").toString());
        hub = new HubStub().put("acme/llama-GGUF", "Llama-Q4_0.gguf", Files.readAllBytes(SharedData.model("llama-Q4_0.gguf")));
    }

    @AfterEach
    void stop() {
        hub.close();
        if (before == null) {
            System.clearProperty("smelt.home");
        } else {
            System.setProperty("smelt.home", before);
        }
    }

    @Test
    void pullListCopyRunRemove() {
        String[] r = CliRun.run("pull", "hf:acme/llama-GGUF/Llama-Q4_0.gguf", "--hub", hub.base().toString());
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).startsWith("llama-q4_0:latest");
        assertThat(r[2]).contains("pull llama-q4_0:latest", "MiB/s", "ETA");
        assertThat(dir.resolve("home/models/manifests/library/llama-q4_0/latest")).isRegularFile();

        r = CliRun.run("cp", "llama-q4_0", "mine:v1");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        r = CliRun.run("cp", "mine:v1", "MINE:v1");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[1]).doesNotContain("copied");
        assertThat(r[2]).contains("source and destination are the same model 'mine:v1'").doesNotContain("\tat ");
        r = CliRun.run("list");
        assertThat(r[1]).contains("NAME", "SIZE", "TYPE", "MODIFIED", "llama-q4_0:latest", "mine:v1", "llama Q4_0", "just now");

        r = CliRun.run("run", "mine:v1", "--prompt-ids", "1,2", "-n", "2", "--temperature", "0", "--print-ids", "--ignore-eos");
        assertThat(r[0]).as(r[2]).isEqualTo("0"); // a stored name works wherever a MODEL is taken

        r = CliRun.run("rm", "llama-q4_0", "mine:v1");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("deleted 'llama-q4_0:latest'", "deleted 'mine:v1'");
        r = CliRun.run("rm", "mine:v1");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("no model 'mine:v1'").doesNotContain("\tat ");
    }

    @Test
    void createFromAModelfileAndItsErrors() throws Exception {
        Path mf = Files.writeString(dir.resolve("Modelfile"), "FROM " + SharedData.model("llama-Q4_0.gguf") + "\nPARAMETER temperature 0.2\nSYSTEM be brief\n");
        String[] r = CliRun.run("create", "brief", "-f", mf.toString());
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("created brief:latest");
        Files.writeString(mf, "FROM brief\nLICENSE MIT\n");
        r = CliRun.run("create", "other", "-f", mf.toString());
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains(mf + ":2: LICENSE is not supported by smelt").doesNotContain("\tat ");
        r = CliRun.run("create", "bad name", "-f", mf.toString());
        assertThat(r[2]).contains("'bad name' is not a model name");
        r = CliRun.run("pull", "hf:acme/llama-GGUF/missing.gguf", "--hub", hub.base().toString());
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("HTTP 404").doesNotContain("\tat ");
        assertThat(CliRun.run("list")[1]).contains("brief:latest").doesNotContain("other");
    }

    @Test
    void finetuneAndMergeRegisterTheirResultAndServeFindsIt() throws Exception {
        String base = SharedData.model("shakespeare.gguf").toString();
        Path data = Files.writeString(dir.resolve("train.jsonl"), "{\"text\": \"ROMEO: speak, my love\"}\n{\"text\": \"JULIET: good night\"}\n");
        Path out = dir.resolve("run");
        String[] r = CliRun.run("finetune", "--model", base, "--data", data.toString(), "--out", out.toString(), "--steps", "1",
                "--lora-rank", "2", "--batch-tokens", "64", "--threads", "2", "--register", "bard:tuned");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[2]).contains("stored as bard:tuned");
        assertThat(CliRun.run("list")[1]).contains("bard:tuned", "+ adapter");
        r = CliRun.run("run", "bard:tuned", "-p", "ROMEO:", "-n", "2", "--temperature", "0");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[2]).contains("applied LoRA"); // the stored adapter is on

        Path merged = dir.resolve("merged.gguf");
        r = CliRun.run("merge", "--model", base, "--lora", out.toString(), "-o", merged.toString(), "--no-modelfile", "--register", "bard-merged");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(CliRun.run("list")[1]).contains("bard-merged:latest");

        ServeCommand serve = new ServeCommand();
        new picocli.CommandLine(serve).parseArgs("bard:tuned", "bard-merged", "--port", "0");
        try (dev.smelt.server.SmeltServer s = serve.build()) {
            assertThat(s.models().names()).containsExactly("bard:tuned", "bard-merged");
            assertThat(s.models().stored("bard:tuned").adapter()).isNotNull();
        }
        ServeCommand whole = new ServeCommand(); // no MODEL: the store, as ollama serve
        new picocli.CommandLine(whole).parseArgs("--port", "0");
        try (dev.smelt.server.SmeltServer s = whole.build()) {
            assertThat(s.models().canonical("bard-merged:latest")).isEqualTo("bard-merged");
        }
        r = CliRun.run("finetune", "--model", base, "--data", data.toString(), "--out", dir.resolve("x").toString(), "--register", "bad name");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("'bad name' is not a model name");
    }

    @Test
    void serveWithNothingToServeSaysSo() {
        String[] r = CliRun.run("serve", "--port", "0");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("nothing to serve").contains("smelt pull").doesNotContain("\tat ");
    }

    @Test
    void everyStoreCommandAnswersHelp() {
        for (String c : new String[] {"pull", "list", "rm", "cp", "create"}) {
            String[] r = CliRun.run(c, "--help");
            assertThat(r[0]).as(c).isEqualTo("0");
            assertThat(r[1]).contains("Usage: smelt " + c);
        }
    }
}
