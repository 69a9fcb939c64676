package dev.smelt.train.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlExamplesTest {
    @TempDir
    Path dir;

    @Test
    void readsAllFormatsAndSkipsBlankLines() throws Exception {
        Path f = dir.resolve("d.jsonl");
        Files.writeString(f, """
                {"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}, {"role": "assistant", "content": "c"}]}

                {"prompt": "p", "completion": "c"}
                {"prompt": [{"role": "user", "content": "u"}], "completion": [{"role": "assistant", "content": "x"}]}
                {"text": "t"}
                """);
        List<RawExample> ex = JsonlExamples.read(f);
        assertThat(ex).hasSize(4);
        RawExample.Conversation c = (RawExample.Conversation) ex.get(0);
        assertThat(c.source()).isEqualTo("d.jsonl:1");
        assertThat(c.messages().get(0)).isEqualTo(Map.of("role", "user", "content", "ab"));
        assertThat(ex.get(1)).isEqualTo(new RawExample.PromptCompletion("p", "c", "d.jsonl:3"));
        assertThat(((RawExample.Conversation) ex.get(2)).trainFrom()).isEqualTo(1);
        assertThat(ex.get(3)).isEqualTo(new RawExample.Text("t", "d.jsonl:5"));
    }

    @Test
    void toolCallArgumentsStringIsParsedToAnObject() {
        RawExample.Conversation c = (RawExample.Conversation) JsonlExamples.parse("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"},"
                + "{\"role\": \"assistant\", \"tool_calls\": [{\"id\": \"1\", \"type\": \"function\", \"function\": {\"name\": \"f\", \"arguments\": \"{\\\"a\\\": 1}\"}}]},"
                + "{\"role\": \"tool\", \"tool_call_id\": \"1\", \"content\": \"42\"}]}", "x:1");
        @SuppressWarnings("unchecked")
        Map<String, Object> call = (Map<String, Object>) ((List<?>) c.messages().get(1).get("tool_calls")).get(0);
        assertThat(call.get("function")).isEqualTo(Map.of("name", "f", "arguments", Map.of("a", 1)));
        assertThat(c.messages().get(1).get("content")).isNull();
        assertThat(c.messages().get(2).get("tool_call_id")).isEqualTo("1");
    }

    @Test
    void badLinesNameFileAndLine() throws Exception {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, "{\"text\": \"ok\"}\n{\"messages\": [\n");
        assertThatThrownBy(() -> JsonlExamples.read(f)).isInstanceOf(DataException.class).hasMessageStartingWith("bad.jsonl:2: invalid JSON");
        assertBad("[1, 2]", "expected a JSON object, got array");
        assertBad("{\"foo\": 1}", "no 'messages', 'prompt'/'completion' or 'text' field; found [foo]");
        assertBad("{\"prompt\": \"x\"}", "missing 'completion'");
        assertBad("{\"prompt\": \"x\", \"completion\": 3}", "must both be strings");
        assertBad("{\"text\": 5}", "'text' must be a string");
        assertBad("{\"messages\": []}", "'messages' must be a non-empty array");
        assertBad("{\"messages\": [{\"role\": \"bot\", \"content\": \"x\"}]}", "messages[0].role must be one of");
        assertBad("{\"messages\": [{\"role\": \"user\"}]}", "messages[0] has no 'content'");
        assertBad("{\"messages\": [{\"role\": \"user\", \"content\": {\"a\": 1}}]}", "messages[0].content must be a string");
        assertBad("{\"messages\": [{\"role\": \"user\", \"content\": \"x\", \"tool_calls\": [{\"function\": {\"name\": \"f\"}}]}]}", "has tool_calls but role user");
        assertBad("{\"messages\": [{\"role\": \"assistant\", \"tool_calls\": [{\"function\": {\"name\": \"f\", \"arguments\": \"{oops\"}}]}]}",
                "arguments is not valid JSON");
        Path empty = dir.resolve("empty.jsonl");
        Files.writeString(empty, "\n\n");
        assertThatThrownBy(() -> JsonlExamples.read(empty)).hasMessageContaining("empty.jsonl: no examples");
    }

    private static void assertBad(String line, String message) {
        assertThatThrownBy(() -> JsonlExamples.parse(line, "f.jsonl:7")).isInstanceOf(DataException.class)
                .hasMessageStartingWith("f.jsonl:7: ").hasMessageContaining(message);
    }
}
