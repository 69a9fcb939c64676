package dev.smelt.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.gguf.GgufFile;
import dev.smelt.testkit.SharedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** llama.cpp's tokenizer test vectors (test-tokenizer-0: no BOS, specials parsed) for SentencePiece vocabularies. */
class SentencePieceGoldenTest {
    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "phi-3"})
    void matchesLlamaCppVectors(String vocab) throws Exception {
        Path gguf = SharedData.require("reference/tokenizers/gguf/ggml-vocab-" + vocab + ".gguf");
        String[] inputs = Files.readString(Path.of(gguf + ".inp"), StandardCharsets.UTF_8).split("\n__ggml_vocab_test__\n", -1);
        String[] outputs = Files.readString(Path.of(gguf + ".out"), StandardCharsets.UTF_8).split("\n", -1);
        try (GgufFile f = GgufFile.open(gguf)) {
            SentencePieceTokenizer t = new SentencePieceTokenizer(f);
            int checked = 0;
            for (int i = 0; i < inputs.length && i < outputs.length; i++) {
                if (i == inputs.length - 1 && inputs[i].isEmpty()) {
                    continue;
                }
                int[] expected = outputs[i].isBlank() ? new int[0] : Arrays.stream(outputs[i].trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
                int[] got = t.encode(inputs[i], false, true);
                assertThat(got).as("%s case %d text '%s'", vocab, i, inputs[i]).containsExactly(expected);
                checked++;
            }
            assertThat(checked).isGreaterThan(10);
        }
    }
}
