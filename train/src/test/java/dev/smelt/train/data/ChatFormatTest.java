package dev.smelt.train.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import dev.smelt.testkit.SharedData;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Loss masks on the real chat templates and tokenizers used by the chat goldens, and on a reference model. */
class ChatFormatTest {
    private static final String MULTI = "{\"messages\": [{\"role\": \"system\", \"content\": \"You route banking tickets.\"},"
            + "{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello! How can I help?\"},"
            + "{\"role\": \"user\", \"content\": \"Cancel my transfer — it's urgent, ça presse.\"},"
            + "{\"role\": \"assistant\", \"content\": \"cancel_transfer\"}]}";

    private static TokenizedExample tokenize(ChatFormat f, String line, ChatFormat.Stats stats) {
        return f.tokenize(JsonlExamples.parse(line, "t.jsonl:1"), stats);
    }

    @Test
    void llama3ScoresEachAnswerThroughEotId() throws Exception {
        ChatFormat f = TemplatesFixture.format("llama3");
        ChatFormat.Stats st = new ChatFormat.Stats();
        TokenizedExample e = tokenize(f, MULTI, st);
        Tokenizer tok = f.tokenizer();
        assertThat(TemplatesFixture.trainedRuns(e, tok)).containsExactly("Hello! How can I help?<|eot_id|>", "cancel_transfer<|eot_id|>");
        assertThat(e.tokens()[0]).isEqualTo(tok.bos());
        assertThat(e.tokens()[1]).isNotEqualTo(tok.bos()); // the template wrote BOS; not added twice
        assertThat(st.trainedTurns).isEqualTo(2);
        assertThat(st.unstableTurns).isZero();
    }

    @Test
    void gemma3ScoresThroughEndOfTurnAndNotTheNewlineAfter() throws Exception {
        ChatFormat f = TemplatesFixture.format("gemma3");
        TokenizedExample e = tokenize(f, MULTI, null);
        Tokenizer tok = f.tokenizer();
        assertThat(TemplatesFixture.trainedRuns(e, tok)).containsExactly("Hello! How can I help?<end_of_turn>", "cancel_transfer<end_of_turn>");
        assertThat(tok.decode(new int[] {e.tokens()[e.tokens().length - 1]})).isEqualTo("\n");
        assertThat(e.target()[e.target().length - 1]).isFalse();
    }

    @Test
    void qwen3TrainsTheLastAnswerWithItsEmptyThinkBlockAndSkipsHistoryThatRerenders() throws Exception {
        ChatFormat f = TemplatesFixture.format("qwen3");
        ChatFormat.Stats st = new ChatFormat.Stats();
        TokenizedExample e = tokenize(f, MULTI, st);
        // Qwen3 renders the final answer with "<think>\n\n</think>\n\n" but strips it from earlier turns,
        // so the first answer's prefix render does not match the full chat: only the last is located.
        assertThat(TemplatesFixture.trainedRuns(e, f.tokenizer())).containsExactly("<think>\n\n</think>\n\ncancel_transfer<|im_end|>");
        assertThat(st.unstableTurns).isEqualTo(1);
        assertThat(st.trainedTurns).isEqualTo(1);
    }

    @Test
    void qwen3ToolCallsAreScored() throws Exception {
        ChatFormat f = TemplatesFixture.format("qwen3");
        String line = "{\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"get_balance\", \"description\": \"Balance\","
                + " \"parameters\": {\"type\": \"object\", \"properties\": {\"account\": {\"type\": \"string\"}}}}}],"
                + " \"messages\": [{\"role\": \"user\", \"content\": \"Balance of acc 7?\"},"
                + " {\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"c1\", \"type\": \"function\","
                + " \"function\": {\"name\": \"get_balance\", \"arguments\": \"{\\\"account\\\": \\\"7\\\"}\"}}]}]}";
        TokenizedExample e = tokenize(f, line, null);
        List<String> runs = TemplatesFixture.trainedRuns(e, f.tokenizer());
        assertThat(runs).hasSize(1);
        assertThat(runs.get(0)).contains("<tool_call>\n{\"name\": \"get_balance\", \"arguments\": {\"account\": \"7\"}}\n</tool_call>")
                .endsWith("<|im_end|>");
        assertThat(f.tokenizer().decode(e.tokens())).contains("get_balance").contains("<tools>");
    }

    @Test
    void chatmlFallbackOnAVocabWithoutImEndAppendsEos() throws Exception {
        try (GgufFile g = GgufFile.open(SharedData.model("llama.gguf"))) {
            Tokenizer tok = Tokenizers.fromGguf(g);
            ChatFormat f = ChatFormat.forModel(g, tok);
            TokenizedExample e = tokenize(f, "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"}]}", null);
            assertThat(e.tokens()[0]).isEqualTo(tok.bos());
            int last = lastTarget(e);
            assertThat(e.tokens()[last]).isEqualTo(tok.eos());
            assertThat(TemplatesFixture.trainedRuns(e, tok)).hasSize(1);
            assertThat(tok.decode(java.util.Arrays.copyOfRange(e.tokens(), firstTarget(e), last), true)).isEqualTo("Hello<|im_end|>");
        }
    }

    @Test
    void promptCompletionAndTextAreRawText() throws Exception {
        try (GgufFile g = GgufFile.open(SharedData.model("llama.gguf"))) {
            Tokenizer tok = Tokenizers.fromGguf(g);
            ChatFormat f = ChatFormat.forModel(g, tok);
            TokenizedExample pc = tokenize(f, "{\"prompt\": \"Card lost. Intent:\", \"completion\": \" lost_or_stolen_card\"}", null);
            int[] p = tok.encode("Card lost. Intent:", false, true);
            int[] c = tok.encode(" lost_or_stolen_card", false, true);
            assertThat(pc.tokens()).hasSize(1 + p.length + c.length + 1);
            assertThat(pc.targetCount()).isEqualTo(c.length + 1);
            assertThat(pc.target()[p.length]).isFalse();
            assertThat(pc.target()[p.length + 1]).isTrue();
            assertThat(pc.tokens()[pc.tokens().length - 1]).isEqualTo(tok.eos());
            TokenizedExample t = tokenize(f, "{\"text\": \"ROMEO: hi\"}", null);
            assertThat(t.targetCount()).isEqualTo(t.tokens().length - 1);
        }
    }

    @Test
    void nothingToTrainOnIsALoudErrorWithFileAndLine() throws Exception {
        ChatFormat f = TemplatesFixture.format("llama3");
        assertThatThrownBy(() -> tokenize(f, "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}", null))
                .isInstanceOf(DataException.class).hasMessageStartingWith("t.jsonl:1: nothing to train on");
        assertThatThrownBy(() -> tokenize(f, "{\"prompt\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"completion\": [{\"role\": \"user\", \"content\": \"x\"}]}", null))
                .hasMessageStartingWith("t.jsonl:1: nothing to train on").hasMessageContaining("in the completion");
        assertThatThrownBy(() -> tokenize(TemplatesFixture.format("gemma3"),
                "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"user\", \"content\": \"b\"}, {\"role\": \"assistant\", \"content\": \"c\"}]}", null))
                .hasMessageStartingWith("t.jsonl:1: the chat template rejects this conversation").hasMessageContaining("alternate");
    }

    private static int lastTarget(TokenizedExample e) {
        for (int i = e.target().length - 1; i >= 0; i--) {
            if (e.target()[i]) {
                return i;
            }
        }
        return -1;
    }

    private static int firstTarget(TokenizedExample e) {
        for (int i = 0; i < e.target().length; i++) {
            if (e.target()[i]) {
                return i;
            }
        }
        return -1;
    }

    @SuppressWarnings("unused")
    private static Map<String, Object> msg(String role, String content) {
        return Map.of("role", role, "content", content);
    }
}
