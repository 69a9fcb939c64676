package dev.smelt.model.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.testkit.SharedData;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A hostile template (from a GGUF's tokenizer.chat_template or a Modelfile TEMPLATE) cannot make a render
 * run unbounded: Jinjava has no loop-iteration limit of its own, so loops that print nothing are counted.
 */
class ChatTemplateLimitsTest {
    private static final List<Map<String, Object>> ONE = List.of(Map.of("role", "user", "content", "hi"));

    /** 200^3 = 8 million empty iterations: finished (slowly) before the budget, now refused. */
    @Test
    void nestedEmptyLoopsOverTheBudgetAreRefused() {
        ChatTemplate t = ChatTemplate.of("model.gguf:tokenizer.chat_template",
                "{% for a in range(200) %}{% for b in range(200) %}{% for c in range(200) %}{% endfor %}{% endfor %}{% endfor %}x", "", "");
        assertThatThrownBy(() -> t.render(ONE, null, true)).isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("model.gguf:tokenizer.chat_template")
                .hasMessageContaining(String.format("%,d", ChatTemplate.MAX_RENDER_STEPS));
    }

    /** 1000^4 iterations would run for days; the budget stops it after about a million steps. */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // a guard against a hang only: the render stops after ~1 s of work
    void loopsThatWouldRunForDaysStopEarly() {
        ChatTemplate t = ChatTemplate.of("{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
                + "{% for d in range(1000) %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}", "", "");
        assertThatThrownBy(() -> t.render(ONE, null, true)).isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("chat template").hasMessageContaining("steps");
    }

    /** Macros fan out without any loop: 10 calls per level, 8 levels = 10^8 calls. */
    @Test
    void macroFanOutIsCounted() {
        StringBuilder src = new StringBuilder("{% macro m0() %}{% endmacro %}");
        for (int level = 1; level <= 8; level++) {
            src.append("{% macro m").append(level).append("() %}");
            for (int i = 0; i < 10; i++) {
                src.append("{{ m").append(level - 1).append("() }}");
            }
            src.append("{% endmacro %}");
        }
        src.append("{{ m8() }}");
        ChatTemplate t = ChatTemplate.of(src.toString(), "", "");
        assertThatThrownBy(() -> t.render(ONE, null, true)).isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("steps");
    }

    /** The budget leaves room for real use: a long conversation with tools through the real Llama 3 template. */
    @Test
    void longRealConversationsStillRender() throws Exception {
        JsonNode root = new ObjectMapper().readTree(SharedData.golden("chat-templates.golden.json").toFile());
        JsonNode llama = root.path("templates").path("llama3");
        ChatTemplate t = ChatTemplate.of(llama.path("template").asText(), "<|begin_of_text|>", "<|eot_id|>");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> tools = new ObjectMapper().convertValue(root.path("tools"), List.class);
        List<Map<String, Object>> msgs = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            msgs.add(Map.of("role", i % 2 == 0 ? "user" : "assistant", "content", "message " + i));
        }
        String out = t.render(msgs, tools, true);
        assertThat(out).contains("message 1999").endsWith("<|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    /** A budget overrun in one render does not leak into the next one on the same thread. */
    @Test
    void eachRenderHasItsOwnBudget() {
        ChatTemplate hostile = ChatTemplate.of("{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
                + "{% endfor %}{% endfor %}{% endfor %}", "", "");
        assertThatThrownBy(() -> hostile.render(ONE, null, true)).isInstanceOf(ChatTemplateException.class);
        ChatTemplate fine = ChatTemplate.of("{% for a in range(900) %}{% for b in range(900) %}{% endfor %}{% endfor %}ok", "", "");
        assertThat(fine.render(ONE, null, true)).isEqualTo("ok");
        assertThat(fine.render(ONE, null, true)).isEqualTo("ok");
    }

    /** Filters whose argument sets the size of what they build are checked before they allocate (was an OutOfMemoryError). */
    @ParameterizedTest
    @ValueSource(strings = {"{{ 'a'|center(1000000000) }}", "{{ '%01000000000d'|format(1) }}", "{{ '%.1000000000f'|format(1.5) }}",
            "{{ 'x'|indent(1000000000, true) }}",
            "{% set s = 'aaaaaaaaaa' %}{% for i in range(4) %}{% set s = s|replace('a', s) %}{% endfor %}{{ s|length }}",
            "{% set s = 'aaaaaaaaaa' %}{% for i in range(4) %}{% set s = s.replace('a', s) %}{% endfor %}{{ s|length }}"})
    void filtersThatWouldBuildGigabytesAreRefusedBeforeTheyAllocate(String src) {
        ChatTemplate t = ChatTemplate.of("Modelfile TEMPLATE", src, "", "");
        assertThatThrownBy(() -> t.render(ONE, null, true)).isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("Modelfile TEMPLATE").hasMessageContaining("over the limit of 16,777,216")
                .hasMessageNotContaining("OutOfMemoryError");
    }

    @Test
    void boundedFiltersStillWorkAsJinjaDoes() {
        ChatTemplate t = ChatTemplate.of("[{{ 'ab'|center(6) }}][{{ 'a\nb'|indent(2) }}][{{ '%05d'|format(42) }}][{{ 'abc'|replace('b', 'xy') }}]"
                + "[{{ 'abc'.replace('b', 'xy') }}]", "", "");
        assertThat(t.render(ONE, null, true)).isEqualTo("[  ab  ][a\n  b][00042][axyc][axyc]");
    }
}
