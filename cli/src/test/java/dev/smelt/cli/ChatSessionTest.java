package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.runtime.sampling.SamplerConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatSessionTest {
    /** Records what each turn was asked with and answers "reply N". */
    static final class Recorder implements ChatSession.Responder {
        final List<List<Map<String, Object>>> conversations = new ArrayList<>();
        final List<SamplerConfig> configs = new ArrayList<>();
        final List<Integer> maxTokens = new ArrayList<>();
        String failWith;

        @Override
        public String reply(List<Map<String, Object>> messages, SamplerConfig config, int max, PrintStream out) {
            if (failWith != null) {
                throw new IllegalArgumentException(failWith);
            }
            conversations.add(List.copyOf(messages));
            configs.add(config);
            maxTokens.add(max);
            String r = "reply " + conversations.size();
            out.println(r);
            return r;
        }
    }

    final Recorder recorder = new Recorder();
    final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    final ChatSession session = new ChatSession(recorder, new ChatSettings(SamplerConfig.defaults(42), 64), "be brief", "m.gguf",
            new PrintStream(buf, true, StandardCharsets.UTF_8));

    String out() {
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void turnsAccumulateWithTheSystemPromptFirst() throws Exception {
        assertThat(session.handle("hello")).isTrue();
        assertThat(session.handle("and then?")).isTrue();
        assertThat(recorder.conversations.get(1)).containsExactly(
                Map.of("role", "system", "content", "be brief"),
                Map.of("role", "user", "content", "hello"),
                Map.of("role", "assistant", "content", "reply 1"),
                Map.of("role", "user", "content", "and then?"));
    }

    @Test
    void clearKeepsTheSystemPromptAndForgetsTurns() throws Exception {
        session.handle("hello");
        session.handle("/clear");
        session.handle("again");
        assertThat(recorder.conversations.get(1)).containsExactly(
                Map.of("role", "system", "content", "be brief"), Map.of("role", "user", "content", "again"));
    }

    @Test
    void setChangesTheSamplingOfTheNextTurn() throws Exception {
        session.handle("/set temperature 0.2");
        session.handle("/set top-k 7");
        session.handle("/set num_predict 5");
        session.handle("hi");
        assertThat(recorder.configs.get(0).temperature()).isEqualTo(0.2f);
        assertThat(recorder.configs.get(0).topK()).isEqualTo(7);
        assertThat(recorder.configs.get(0).seed()).isEqualTo(42);
        assertThat(recorder.maxTokens.get(0)).isEqualTo(5);
        assertThat(out()).contains("set temperature to 0.2");
    }

    @Test
    void badSetValuesAreReportedAndChangeNothing() throws Exception {
        session.handle("/set temperature -1");
        session.handle("/set top_p abc");
        session.handle("/set warmth 3");
        session.handle("/set temperature");
        session.handle("hi");
        assertThat(out()).contains("error: temperature must be >= 0, got -1.0")
                .contains("error: top_p: 'abc' is not a number")
                .contains("error: unknown parameter 'warmth'; known: temperature, top_k")
                .contains("usage: /set NAME VALUE");
        assertThat(recorder.configs.get(0)).isEqualTo(SamplerConfig.defaults(42));
    }

    @Test
    void setWithoutArgumentsListsEveryParameter() throws Exception {
        session.handle("/set");
        assertThat(out()).contains("temperature 0.8").contains("top_k 40").contains("seed 42").contains("num_predict 64");
    }

    @Test
    void systemReplacesShowsAndRemovesThePrompt() throws Exception {
        session.handle("/system talk like a pirate");
        session.handle("/system");
        session.handle("hi");
        session.handle("/system off");
        session.handle("hi again");
        assertThat(out()).contains("talk like a pirate");
        assertThat(recorder.conversations.get(0).getFirst()).isEqualTo(Map.of("role", "system", "content", "talk like a pirate"));
        assertThat(recorder.conversations.get(1).getFirst()).isEqualTo(Map.of("role", "user", "content", "hi"));
    }

    @Test
    void saveWritesAnOpenAiChatRequest(@TempDir Path dir) throws Exception {
        session.handle("hello");
        Path f = dir.resolve("chat.json");
        session.handle("/save " + f);
        JsonNode j = new ObjectMapper().readTree(f.toFile());
        assertThat(j.path("model").asText()).isEqualTo("m.gguf");
        assertThat(j.path("messages")).hasSize(3);
        assertThat(j.path("messages").get(2).path("content").asText()).isEqualTo("reply 1");
        assertThat(j.path("temperature").floatValue()).isEqualTo(0.8f);
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(f); // no temporary file left behind
        }
    }

    @Test
    void saveToAMissingFolderSaysSoAndTheChatGoesOn(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("no/such/chat.json");
        assertThat(session.handle("/save " + f)).isTrue();
        assertThat(out()).contains("error: cannot write " + f);
        assertThat(f).doesNotExist();
        assertThat(session.handle("/save bad\0name")).isTrue();
        assertThat(out()).contains("error: 'bad\0name' is not a file name");
    }

    @Test
    void aFailedTurnIsDroppedAndReported() throws Exception {
        recorder.failWith = "the conversation fills the context";
        session.handle("hello");
        recorder.failWith = null;
        session.handle("hi");
        assertThat(out()).contains("error: the conversation fills the context");
        assertThat(recorder.conversations.get(0)).hasSize(2); // system + "hi": the failed turn is gone
    }

    @Test
    void byeEndsUnknownCommandsAndBlankLinesDoNot() throws Exception {
        assertThat(session.handle("")).isTrue();
        assertThat(session.handle("/frobnicate")).isTrue();
        assertThat(session.handle("/help")).isTrue();
        assertThat(session.handle("/bye")).isFalse();
        assertThat(session.handle("/exit")).isFalse();
        assertThat(out()).contains("unknown command /frobnicate").contains("/save FILE");
        assertThat(recorder.conversations).isEmpty();
    }
}
