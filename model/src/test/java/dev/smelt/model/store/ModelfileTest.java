package dev.smelt.model.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelfileTest {
    @TempDir
    Path dir;

    private Modelfile parse(String text) {
        return Modelfile.parse(text, "Modelfile", dir);
    }

    @Test
    void readsTheSubsetSmeltHonours() {
        Modelfile mf = parse("""
                # a comment
                from base.gguf
                PARAMETER temperature 0.2
                PARAMETER stop "<|end|>"
                PARAMETER stop ###
                PARAMETER num_ctx 2048
                SYSTEM "You are terse."
                TEMPLATE \"\"\"{% for m in messages %}{{ m.content }}
                {% endfor %}\"\"\"
                """);
        assertThat(mf.from()).isEqualTo("base.gguf");
        assertThat(mf.fromPath()).isEqualTo(dir.resolve("base.gguf"));
        assertThat(mf.system()).isEqualTo("You are terse.");
        assertThat(mf.template()).isEqualTo("{% for m in messages %}{{ m.content }}\n{% endfor %}");
        assertThat(mf.parameters().get("temperature").asDouble()).isEqualTo(0.2);
        assertThat(mf.parameters().get("num_ctx").asLong()).isEqualTo(2048);
        assertThat(mf.parameters().get("stop").toString()).isEqualTo("[\"<|end|>\",\"###\"]");
    }

    @Test
    void refusesWhatSmeltCannotHonourWithFileAndLine() {
        assertThatThrownBy(() -> parse("FROM x\nLICENSE MIT")).hasMessage("Modelfile:2: LICENSE is not supported by smelt "
                + "(supported: FROM, ADAPTER, TEMPLATE, SYSTEM, PARAMETER)");
        assertThatThrownBy(() -> parse("FROM x\n\nMESSAGE user hi")).hasMessageStartingWith("Modelfile:3: MESSAGE is not supported");
        assertThatThrownBy(() -> parse("FROM x\nQUANTIZE q4")).hasMessageStartingWith("Modelfile:2: unknown instruction 'QUANTIZE'");
        assertThatThrownBy(() -> parse("FROM x\nPARAMETER mirostat 1")).hasMessageStartingWith("Modelfile:2: PARAMETER mirostat is not supported");
        assertThatThrownBy(() -> parse("FROM x\nPARAMETER temprature 0.2"))
                .hasMessageStartingWith("Modelfile:2: PARAMETER temprature is not supported by smelt; did you mean temperature?");
        assertThatThrownBy(() -> parse("FROM x\nPARAMETER top_k lots")).hasMessage("Modelfile:2: PARAMETER top_k must be an integer, got 'lots'");
        assertThatThrownBy(() -> parse("FROM x\nPARAMETER temperature")).hasMessageStartingWith("Modelfile:2: PARAMETER needs a name and a value");
        assertThatThrownBy(() -> parse("FROM x\nTEMPLATE \"{{ .Prompt }}\"")).hasMessageStartingWith("Modelfile:2: TEMPLATE is a Go template");
        assertThatThrownBy(() -> parse("FROM x\nSYSTEM \"\"\"never\nclosed")).hasMessage("Modelfile:2: SYSTEM opens \"\"\" that is never closed");
        assertThatThrownBy(() -> parse("FROM x\nFROM y")).hasMessageStartingWith("Modelfile:2: a second FROM");
        assertThatThrownBy(() -> parse("FROM x\nADAPTER missing.gguf")).hasMessageStartingWith("Modelfile:2: ADAPTER " + dir.resolve("missing.gguf"));
        assertThatThrownBy(() -> parse("SYSTEM hi")).hasMessage("Modelfile: no FROM line (FROM a GGUF file or a stored model name)");
    }

    @Test
    void createFromAFileAndFromAStoredName() throws Exception {
        ModelStore store = new ModelStore(dir.resolve("home"));
        TinyGguf.write(dir.resolve("base.gguf"), 3);
        assertThatThrownBy(() -> StoreCreate.create(store, ModelName.parse("c"), parse("FROM nothing"), "Modelfile"))
                .hasMessageContaining("(the store is empty)").hasMessageNotContaining("stored: )");
        StoredModel a = StoreCreate.create(store, ModelName.parse("a"), parse("FROM base.gguf\nPARAMETER temperature 0.1"), "Modelfile");
        assertThat(a.parameters().get("temperature").asDouble()).isEqualTo(0.1);
        StoredModel b = StoreCreate.create(store, ModelName.parse("b"), parse("FROM a\nSYSTEM be brief\nPARAMETER temperature 0.3"), "Modelfile");
        assertThat(b.model()).isEqualTo(a.model()); // the weights blob is shared
        assertThat(b.system()).isEqualTo("be brief");
        assertThat(b.parameters().get("temperature").asDouble()).isEqualTo(0.3);
        assertThatThrownBy(() -> StoreCreate.create(store, ModelName.parse("c"), parse("FROM nothing"), "Modelfile"))
                .hasMessageContaining("Modelfile: FROM nothing is neither a file").hasMessageContaining("a:latest, b:latest");
        assertThatThrownBy(() -> StoreCreate.create(store, ModelName.parse("c"), parse("FROM a\nTEMPLATE {% if %}"), "Modelfile"))
                .hasMessageContaining("TEMPLATE does not render");
        Files.write(dir.resolve("junk.gguf"), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> StoreCreate.create(store, ModelName.parse("c"), parse("FROM a\nADAPTER junk.gguf"), "Modelfile"))
                .hasMessageContaining("ADAPTER " + dir.resolve("junk.gguf") + " does not fit FROM a");
        assertThat(store.names()).containsExactly("a:latest", "b:latest");
    }
}
