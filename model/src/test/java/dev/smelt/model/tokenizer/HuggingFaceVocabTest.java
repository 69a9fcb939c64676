package dev.smelt.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.testkit.SharedData;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hugging Face tokenizer.json files (Llama 3, Qwen3, Gemma 3) against llama.cpp's vectors that were checked with
 * Hugging Face's tokenizers.js; also decode(ids) == text (Qwen: its NFC form). Timing lives in the slow
 * {@link TokenizerThroughputTest}, since wall-clock limits flake on a shared CI machine.
 */
class HuggingFaceVocabTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama3", "qwen3", "gemma3"})
    void matchesReference(String name) throws Exception {
        Path dir = SharedData.require("reference/tokenizers/hf/" + name);
        List<VocabCases.Case> cases = VocabCases.read(dir.resolve("cases.inp"), dir.resolve("cases.out"));
        Tokenizer tok = Tokenizers.fromHuggingFace(dir.resolve("tokenizer.json.gz"));
        VocabCases.check(tok, cases, name);
        for (VocabCases.Case c : cases) {
            String expected = name.equals("qwen3") ? java.text.Normalizer.normalize(c.text(), java.text.Normalizer.Form.NFC)
                    : c.text();
            assertThat(tok.decode(c.expected())).as("%s case %d decode", name, c.index()).isEqualTo(expected);
        }
    }
}
