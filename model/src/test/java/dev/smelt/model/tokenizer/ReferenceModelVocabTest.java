package dev.smelt.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.gguf.GgufFile;
import dev.smelt.testkit.SharedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The 512-piece SentencePiece vocabulary shared by the reference models (ids 3..258 are {@code <0xNN>}): round
 * trips, byte fallback for characters outside the vocabulary, and streaming decode of multi-byte characters.
 */
class ReferenceModelVocabTest {
    private static final String MIXED = "ROMEO: héllo wörld — 日本語 😀👍🏽 ok\n\tend";

    private static Tokenizer load(String model) throws Exception {
        try (GgufFile f = GgufFile.open(SharedData.model(model))) {
            return Tokenizers.fromGguf(f);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama.gguf", "qwen2.gguf", "qwen3.gguf", "phi3.gguf", "gemma3.gguf", "shakespeare.gguf"})
    void roundTripsAndUsesByteFallback(String model) throws Exception {
        Tokenizer tok = load(model);
        assertThat(tok.vocabSize()).isEqualTo(512);
        assertThat(tok.bos()).isEqualTo(1);
        assertThat(tok.eos()).isEqualTo(2);
        assertThat(tok.isEndOfGeneration(2)).isTrue();
        int[] ids = tok.encode(MIXED, true, false);
        assertThat(ids[0]).as("BOS first").isEqualTo(1);
        assertThat(tok.decode(ids, true)).isEqualTo(MIXED);
        // The emoji is not a piece of this tiny vocabulary: it must come out as its 4 UTF-8 bytes <0xF0>...
        int[] emoji = tok.encode("😀", false, false);
        List<Integer> byteIds = new ArrayList<>();
        for (byte b : "😀".getBytes(StandardCharsets.UTF_8)) {
            byteIds.add(tok.tokenId(String.format("<0x%02X>", b & 0xFF)).orElseThrow());
        }
        assertThat(emoji).containsSubsequence(byteIds.toArray(Integer[]::new));
        assertThat(tok.tokenBytes(tok.tokenId("<0x0A>").orElseThrow())).containsExactly('\n');
    }

    @Test
    void streamingNeverEmitsBrokenUtf8() throws Exception {
        Tokenizer tok = load("llama.gguf");
        int[] ids = tok.encode(MIXED, true, false);
        StreamingDetokenizer sd = new StreamingDetokenizer(tok, true);
        StringBuilder sb = new StringBuilder();
        int heldSomewhere = 0;
        for (int id : ids) {
            String s = sd.feed(id);
            assertThat(s).as("chunk for id %d", id).doesNotContain("\uFFFD");
            assertThat(s.isEmpty() || !Character.isHighSurrogate(s.charAt(s.length() - 1))).isTrue();
            heldSomewhere += sd.pendingBytes() > 0 ? 1 : 0;
            sb.append(s);
        }
        sb.append(sd.flush());
        assertThat(sb.toString()).isEqualTo(MIXED).isEqualTo(tok.decode(ids, true));
        assertThat(heldSomewhere).as("multi-byte characters were split across byte tokens").isPositive();
    }

    @Test
    void roundTripsTheTrainingText() throws Exception {
        Tokenizer tok = load("shakespeare.gguf");
        String text = Files.readString(SharedData.require("data/tinyshakespeare/input.txt")).substring(0, 20_000);
        int[] ids = tok.encode(text, false, false);
        assertThat(tok.decode(ids)).isEqualTo(text);
        // Pieces longer than one character are used (merging happened); printable ASCII never needs byte fallback
        // (control characters such as newline are byte tokens <0x0A> in SentencePiece vocabularies).
        assertThat(ids.length).isLessThan(text.length() * 9 / 10);
        for (int id : ids) {
            assertThat(id < 3 || id > 258 || id - 3 < 0x20).as("id %d is a printable-byte token", id).isTrue();
        }
    }
}
