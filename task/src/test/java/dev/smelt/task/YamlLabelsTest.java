package dev.smelt.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12: YAML 1.1 turned labels yes/no/on/off into booleans (CLINC150 has intents named yes and no). */
class YamlLabelsTest {
    @TempDir
    Path dir;

    private TaskSpec load(String yaml) throws IOException {
        Path p = dir.resolve("task.yaml");
        Files.writeString(p, yaml);
        return TaskSpec.load(p);
    }

    @Test
    void booleanLikeWordsStayStrings() throws IOException {
        TaskSpec t = load("name: intents\ninstructions: Classify.\nlabels:\n  - yes\n  - no\n  - on\n  - off\n  - Yes\n  - N\n");
        assertThat(t.labels()).containsExactly("yes", "no", "on", "off", "Yes", "N");
    }

    @Test
    void everyLabelIsKeptAsWritten() throws IOException {
        TaskSpec t = load("name: codes\ninstructions: Classify.\nlabels: [010, 1.50, true, ~, 0x1F, 'quoted']\n");
        assertThat(t.labels()).containsExactly("010", "1.50", "true", "~", "0x1F", "quoted");
    }

    @Test
    void flowAndBlockListsAgree() throws IOException {
        TaskSpec a = load("name: x\ninstructions: y\nlabels: [yes, no]\n");
        TaskSpec b = load("name: x\ninstructions: y\nlabels:\n- yes\n- no\n");
        assertThat(a.labels()).isEqualTo(b.labels()).containsExactly("yes", "no");
    }

    @Test
    void duplicateAsWrittenIsStillRefused() {
        assertThatThrownBy(() -> load("name: x\ninstructions: y\nlabels: [yes, 'yes']\n"))
                .isInstanceOf(IOException.class).hasMessageContaining("label 'yes' is listed twice");
    }

    @Test
    void nonUtf8DataAndTaskFilesNameTheLine() throws IOException {
        Path csv = dir.resolve("data.csv");
        Files.write(csv, new byte[] {'t', 'e', 'x', 't', '\n', 'o', 'k', '\n', 'c', 'a', 'f', (byte) 0xE9, '\n'});
        assertThatThrownBy(() -> DataFile.read(csv, "text", null, false))
                .isInstanceOf(IOException.class).hasMessageContaining("data.csv:3: not valid UTF-8: byte 0xE9 at byte offset 11");
        Path task = dir.resolve("task.yaml");
        Files.write(task, new byte[] {'n', 'a', 'm', 'e', ':', ' ', (byte) 0xFF, '\n'});
        assertThatThrownBy(() -> TaskSpec.load(task))
                .isInstanceOf(IOException.class).hasMessageContaining("task.yaml:1: not valid UTF-8: byte 0xFF");
    }
}
