package dev.smelt.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.gguf.GgufFile;
import dev.smelt.testkit.SharedData;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * llama.cpp's own tokenizer vectors (tests/test-tokenizer-0: add_special = false, parse_special = false) for
 * each vocab-only GGUF: every case must match byte for byte, and decoding must give the text back.
 */
class GgufVocabTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama-spm", "phi-3", "gpt-2", "falcon", "starcoder", "refact", "mpt", "deepseek-coder",
            "deepseek-llm", "bert-bge"})
    void matchesLlamaCpp(String name) throws Exception {
        Path gguf = SharedData.require("reference/tokenizers/gguf/ggml-vocab-" + name + ".gguf");
        List<VocabCases.Case> cases = VocabCases.read(Path.of(gguf + ".inp"), Path.of(gguf + ".out"));
        try (GgufFile f = GgufFile.open(gguf)) {
            Tokenizer tok = Tokenizers.fromGguf(f);
            VocabCases.check(tok, cases, name);
            if (!name.equals("bert-bge")) { // WordPiece lower-cases and drops whitespace: not reversible
                for (VocabCases.Case c : cases) {
                    String back = tok.decode(c.expected());
                    assertThat(back).as("%s case %d decode", name, c.index()).isEqualTo(c.text());
                }
            }
        }
    }
}
