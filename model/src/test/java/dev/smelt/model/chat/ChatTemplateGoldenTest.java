package dev.smelt.model.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.testkit.SharedData;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Renders of the real Llama 3 / Gemma 3 / Qwen3 templates, byte for byte against Python jinja2 (HF semantics). */
class ChatTemplateGoldenTest {
    private static final ObjectMapper M = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "gemma3", "qwen3"})
    void rendersLikeHuggingFace(String model) throws Exception {
        JsonNode root = M.readTree(SharedData.golden("chat-templates.golden.json").toFile());
        JsonNode t = root.path("templates").path(model);
        ChatTemplate ct = ChatTemplate.of(t.path("template").asText(), t.path("special_tokens").path("bos_token").asText(""),
                t.path("special_tokens").path("eos_token").asText(""));
        int i = 0;
        for (JsonNode c : t.path("cases")) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> msgs = M.convertValue(root.path("conversations").path(c.path("conversation").asText()), List.class);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> tools = c.path("tools").asBoolean(false) ? M.convertValue(root.path("tools"), List.class) : null;
            String got = ct.render(msgs, tools, c.path("add_generation_prompt").asBoolean());
            assertThat(got).as("%s case %d (%s, gen=%s, tools=%s)", model, i, c.path("conversation").asText(),
                    c.path("add_generation_prompt"), c.has("tools")).isEqualTo(c.path("rendered").asText());
            i++;
        }
        assertThat(i).isEqualTo(7);
    }

    @Test
    void templateErrorsAreClear() {
        ChatTemplate t = ChatTemplate.of("{% if messages[0]['role'] != 'user' %}{{ raise_exception('first message must be user') }}{% endif %}ok", "", "");
        assertThat(t.render(List.of(Map.of("role", "user", "content", "x")), null, false)).isEqualTo("ok");
        assertThatThrownBy(() -> t.render(List.of(Map.of("role", "system", "content", "x")), null, false))
                .isInstanceOf(ChatTemplateException.class).hasMessageContaining("first message must be user");
    }
}
