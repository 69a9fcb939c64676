package dev.smelt.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseChatReaderTest {
    private static ObjectNode body(String content) {
        ObjectNode b = Canonical.JSON.createObjectNode().put("model", "m");
        b.putArray("messages").addObject().put("role", "user").put("content", content);
        return b;
    }

    @Test
    void deltasAreDeliveredAndAssembledWithTheUsageChunk() throws IOException {
        List<String> seen = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        TeacherResponse r = SseChatReader.read(List.of(
                ": keep-alive",
                "data: {\"choices\":[{\"delta\":{\"content\":\"po\"}}]}",
                "",
                "data: {\"choices\":[{\"delta\":{\"content\":\"sitive\"},\"finish_reason\":\"stop\"}]}",
                "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2}}",
                "data: [DONE]").iterator(), text, seen::add, body("hello"));

        assertThat(seen).containsExactly("po", "sitive");
        assertThat(r.content()).isEqualTo("positive");
        assertThat(r.finishReason()).isEqualTo("stop");
        assertThat(r.promptTokens()).isEqualTo(7);
        assertThat(r.completionTokens()).isEqualTo(2);
    }

    @Test
    void withoutAUsageChunkTokensAreEstimatedFromCharacters() throws IOException {
        TeacherResponse r = SseChatReader.read(List.of(
                "data: {\"choices\":[{\"delta\":{\"content\":\"abcde\"}}]}",
                "data: [DONE]").iterator(), new StringBuilder(), d -> { }, body("123456789"));

        assertThat(r.promptTokens()).isEqualTo(3); // ceil(9 / 4)
        assertThat(r.completionTokens()).isEqualTo(2); // ceil(5 / 4)
    }

    @Test
    void aStreamWithoutDoneIsNullAndAnErrorEventOrNonJsonThrows() throws IOException {
        assertThat(SseChatReader.read(List.of("data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}").iterator(),
                new StringBuilder(), d -> { }, body("q"))).isNull();
        assertThatThrownBy(() -> SseChatReader.read(List.of("data: {\"error\":{\"message\":\"overloaded\"}}").iterator(),
                new StringBuilder(), d -> { }, body("q"))).isInstanceOf(IOException.class).hasMessageContaining("overloaded");
        assertThatThrownBy(() -> SseChatReader.read(List.of("data: {oops").iterator(),
                new StringBuilder(), d -> { }, body("q"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not JSON");
    }
}
