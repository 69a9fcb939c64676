package dev.smelt.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.testkit.SharedData;
import org.junit.jupiter.api.Test;

/** parseSpecial, BOS rules and end-of-generation ids on real Hugging Face tokenizers. */
class SpecialTokensTest {
    private static Tokenizer hf(String name) throws Exception {
        return Tokenizers.fromHuggingFace(SharedData.require("reference/tokenizers/hf/" + name + "/tokenizer.json.gz"));
    }

    @Test
    void qwen3ChatMarkers() throws Exception {
        Tokenizer tok = hf("qwen3");
        int imStart = tok.tokenId("<|im_start|>").orElseThrow();
        int imEnd = tok.tokenId("<|im_end|>").orElseThrow();
        String chat = "<|im_start|>user\nhi<|im_end|>";
        int[] parsed = tok.encode(chat, true, true);
        assertThat(parsed[0]).isEqualTo(imStart); // Qwen adds no BOS
        assertThat(parsed[parsed.length - 1]).isEqualTo(imEnd);
        int[] literal = tok.encode(chat, false, false);
        assertThat(literal).doesNotContain(imStart, imEnd);
        assertThat(tok.decode(literal)).isEqualTo(chat);
        assertThat(tok.decode(parsed)).isEqualTo(chat);
        assertThat(tok.decode(parsed, true)).isEqualTo("user\nhi");
        assertThat(tok.isEndOfGeneration(imEnd)).isTrue();
        assertThat(tok.isEndOfGeneration(imStart)).isFalse();
        assertThat(tok.eos()).isEqualTo(imEnd);
    }

    @Test
    void gemma3AddsBosAndStopsAtEndOfTurn() throws Exception {
        Tokenizer tok = hf("gemma3");
        assertThat(tok.bos()).isEqualTo(2);
        int[] ids = tok.encode("<start_of_turn>user\nHello<end_of_turn>", true, true);
        assertThat(ids[0]).isEqualTo(2);
        assertThat(ids[1]).isEqualTo(tok.tokenId("<start_of_turn>").orElseThrow());
        int eot = tok.tokenId("<end_of_turn>").orElseThrow();
        assertThat(ids[ids.length - 1]).isEqualTo(eot);
        assertThat(tok.isEndOfGeneration(eot)).isTrue();
        assertThat(tok.decode(ids, true)).isEqualTo("user\nHello");
    }
}
