package dev.smelt.server.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.runtime.constrain.JsonMatcher;
import dev.smelt.runtime.constrain.SchemaCompiler;
import dev.smelt.server.http.ApiException;
import dev.smelt.testkit.SharedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

class ToolFormatTest {
    private static final ObjectMapper M = new ObjectMapper();

    @Test
    void hermesCallsAreParsedWithTextAroundThem() {
        ParsedOutput p = ToolFormat.HERMES.parse("Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
                + "</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>", "call_x");
        assertThat(p.content()).isEqualTo("Let me check.");
        assertThat(p.calls()).containsExactly(new ToolCall("call_x_0", "get_weather", "{\"city\":\"Paris\"}"),
                new ToolCall("call_x_1", "get_time", "{}"));
    }

    @Test
    void argumentsAreAlwaysAJsonStringEvenWhenTheModelWritesAString() {
        ParsedOutput p = ToolFormat.HERMES.parse("<tool_call>{\"name\":\"f\",\"arguments\":\"{\\\"a\\\": 1}\"}", "c");
        assertThat(p.calls()).containsExactly(new ToolCall("c_0", "f", "{\"a\":1}"));
        assertThat(p.content()).isNull();
    }

    @Test
    void unparseableCallsStayContent() {
        String text = "<tool_call>{\"name\": \"f\", \"arguments\": {oops</tool_call>";
        assertThat(ToolFormat.HERMES.parse(text, "c")).isEqualTo(ParsedOutput.text(text));
        assertThat(ToolFormat.HERMES.parse("just text", "c")).isEqualTo(ParsedOutput.text("just text"));
        assertThat(ToolFormat.LLAMA3_JSON.parse("{not json", "c")).isEqualTo(ParsedOutput.text("{not json"));
        assertThat(ToolFormat.MISTRAL.parse("[TOOL_CALLS] nonsense", "c").calls()).isEmpty();
    }

    @Test
    void llamaJsonCallsWithParametersAndPythonTag() {
        ParsedOutput p = ToolFormat.LLAMA3_JSON.parse("<|python_tag|>{\"name\": \"a\", \"parameters\": {\"x\": [1, \"}\"]}}; "
                + "{\"name\": \"b\", \"parameters\": {}}", "c");
        assertThat(p.calls()).containsExactly(new ToolCall("c_0", "a", "{\"x\":[1,\"}\"]}"), new ToolCall("c_1", "b", "{}"));
        assertThat(ToolFormat.LLAMA3_JSON.parse("The answer is {42}", "c").calls()).isEmpty();
    }

    @Test
    void mistralArrayAndArgsFormats() {
        ParsedOutput a = ToolFormat.MISTRAL.parse("[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {\"q\": \"x\"}}]", "c");
        assertThat(a.calls()).containsExactly(new ToolCall("c_0", "f", "{\"q\":\"x\"}"));
        ParsedOutput b = ToolFormat.MISTRAL.parse("Sure[TOOL_CALLS]f[ARGS]{\"q\": 1}[TOOL_CALLS]g[ARGS]{}", "c");
        assertThat(b.content()).isEqualTo("Sure");
        assertThat(b.calls()).containsExactly(new ToolCall("c_0", "f", "{\"q\":1}"), new ToolCall("c_1", "g", "{}"));
    }

    @Test
    void formatIsChosenFromTheChatTemplate() throws Exception {
        var golden = SharedData.golden("chat-templates.golden.json");
        JsonNode t = M.readTree(Files.readString(golden)).path("templates");
        assertThat(ToolFormat.detect(t.path("qwen3").path("template").asText())).isEqualTo(ToolFormat.HERMES);
        assertThat(ToolFormat.detect(t.path("llama3").path("template").asText())).isEqualTo(ToolFormat.LLAMA3_JSON);
        assertThat(ToolFormat.detect("{{ '[TOOL_CALLS]' }}")).isEqualTo(ToolFormat.MISTRAL);
        assertThat(ToolFormat.detect(null)).isEqualTo(ToolFormat.HERMES);
    }

    @Test
    void streamFilterHoldsBackOnlyWhatMayBeACall() {
        ToolStreamFilter f = new ToolStreamFilter(ToolFormat.HERMES, "");
        assertThat(f.push("Hello <tool")).isEqualTo("Hello ");
        assertThat(f.push("box> and ")).isEqualTo("<toolbox> and ");
        assertThat(f.push("then <tool_call>{\"name\":\"f\",")).isEqualTo("then ");
        assertThat(f.push("\"arguments\":{}}</tool_call>")).isEmpty();
        ParsedOutput p = f.finish("c");
        assertThat(p.calls()).containsExactly(new ToolCall("c_0", "f", "{}"));
        assertThat(p.content()).isNull();

        ToolStreamFilter llama = new ToolStreamFilter(ToolFormat.LLAMA3_JSON, "");
        assertThat(llama.push("  ")).isEmpty();
        assertThat(llama.push("Hi there")).isEqualTo("  Hi there");
        assertThat(llama.push(" {x}")).isEqualTo(" {x}");
        assertThat(llama.finish("c")).isEqualTo(ParsedOutput.text(""));
    }

    @Test
    void forcedSchemaAcceptsExactlyTheOfferedCalls() throws Exception {
        ToolRequest r = ToolRequest.parse(M.readTree("{\"tools\": [" + tool("get_weather", "{\"type\":\"object\",\"properties\":"
                + "{\"city\":{\"type\":\"string\",\"format\":\"city\"},\"days\":{\"type\":\"integer\",\"minimum\":1}},\"required\":[\"city\"]}")
                + "," + tool("get_time", null) + "], \"tool_choice\": \"required\"}"), M);
        var root = SchemaCompiler.compile(ToolFormat.HERMES.forcedSchema(r.forcedTools(), true));
        assertThat(accepts(root, "{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\",\"days\":3}}")).isTrue();
        assertThat(accepts(root, "{\"name\":\"get_time\",\"arguments\":{}}")).isTrue();
        assertThat(accepts(root, "{\"name\":\"get_wether\",\"arguments\":{}}")).isFalse();
        assertThat(accepts(root, "{\"name\":\"get_weather\",\"arguments\":{\"days\":3}}")).isFalse();
        var mistral = SchemaCompiler.compile(ToolFormat.MISTRAL.forcedSchema(r.forcedTools(), false));
        assertThat(accepts(mistral, "[{\"name\":\"get_time\",\"arguments\":{}}]")).isTrue();
        assertThat(accepts(mistral, "[{\"name\":\"get_time\",\"arguments\":{}},{\"name\":\"get_time\",\"arguments\":{}}]")).isFalse();
    }

    private static boolean accepts(dev.smelt.runtime.constrain.Node root, String doc) {
        JsonMatcher m = JsonMatcher.start(root).feed(doc.getBytes(StandardCharsets.UTF_8));
        return !m.dead() && m.complete();
    }

    @Test
    void toolRequestValidation() throws Exception {
        String ok = "[" + tool("f", null) + "]";
        assertThat(ToolRequest.parse(M.readTree("{\"tools\":" + ok + "}"), M).choice()).isEqualTo(ToolRequest.Choice.AUTO);
        assertThat(ToolRequest.parse(M.readTree("{\"tools\":" + ok + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"f\"}}}"), M)
                .choice()).isEqualTo(ToolRequest.Choice.NAMED);
        for (String[] bad : List.of(
                new String[] {"{\"tools\": {}}", "must be an array"},
                new String[] {"{\"tools\": [{\"type\":\"function\"}]}", "tools[0].function must be an object"},
                new String[] {"{\"tools\": [{\"type\":\"retrieval\",\"function\":{\"name\":\"f\"}}]}", "tools[0].type must be 'function'"},
                new String[] {"{\"tools\": [{\"function\":{\"name\":\"bad name!\"}}]}", "function.name must be"},
                new String[] {"{\"tools\": [{\"function\":{\"name\":\"f\",\"parameters\":\"x\"}}]}", "parameters must be a JSON schema object"},
                new String[] {"{\"tools\": " + ok.replace("]", "," + tool("f", null) + "]") + "}", "defined twice"},
                new String[] {"{\"tools\": " + ok + ", \"tool_choice\": \"always\"}", "'tool_choice' must be auto"},
                new String[] {"{\"tools\": " + ok + ", \"tool_choice\": {\"function\":{\"name\":\"g\"}}}", "not in 'tools'"},
                new String[] {"{\"tool_choice\": \"required\"}", "no 'tools'"},
                new String[] {"{\"tools\": " + ok + ", \"parallel_tool_calls\": \"yes\"}", "must be a boolean"})) {
            assertThatThrownBy(() -> ToolRequest.parse(M.readTree(bad[0]), M)).as(bad[0]).isInstanceOf(ApiException.class)
                    .hasMessageContaining(bad[1]);
        }
    }

    static String tool(String name, String params) {
        return "{\"type\":\"function\",\"function\":{\"name\":\"" + name + "\",\"description\":\"d\"" + (params == null ? "" : ",\"parameters\":" + params) + "}}";
    }
}
