package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** A mistyped built-in model name is answered with the built-in names, not "no such file". */
class UnknownModelNameTest {
    @Test
    void serveListsTheBuiltInEmbeddingModels() {
        String[] r = CliRun.run("serve", "all-minilm-l6-v3");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("all-minilm-l6-v3").contains("all-minilm-l6-v2").contains("bge-small-en-v1.5");
    }

    @Test
    void embedListsTheBuiltInEmbeddingModels() {
        InputStream old = System.in;
        System.setIn(new ByteArrayInputStream(new byte[0]));
        try {
            String[] r = CliRun.run("embed", "-m", "all-minilm-l6-v3");
            assertThat(r[0]).isEqualTo("1");
            assertThat(r[2]).contains("smelt: error:").contains("all-minilm-l6-v2").contains("bge-small-en-v1.5").doesNotContain("Exception");
        } finally {
            System.setIn(old);
        }
    }
}
