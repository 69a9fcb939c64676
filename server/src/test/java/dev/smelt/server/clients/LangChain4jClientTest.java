package dev.smelt.server.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import dev.smelt.server.GgufModelLoader;
import dev.smelt.server.ModelRegistry;
import dev.smelt.server.ServerConfig;
import dev.smelt.server.SmeltServer;
import dev.smelt.testkit.SharedData;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * LangChain4j's OpenAI client (a real, widely used client, unmodified) against the real server on the
 * trained reference model: chat, streaming, tools (plain and streamed), json_schema and errors. Tool arguments
 * are enums here: the tiny model, forced into a free-form string, rambles past any token budget.
 */
class LangChain4jClientTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final String KEY = "sk-lc4j";
    private static SmeltServer server;
    private static String base;

    @BeforeAll
    static void start() {
        var model = SharedData.model("shakespeare.gguf");
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of(KEY), false, List.of(), 2, 2, 1536, 8, Duration.ofMinutes(5), false);
        ModelRegistry reg = new ModelRegistry(List.of("shakespeare"), Map.of("default", "shakespeare"),
                new GgufModelLoader(Map.of("shakespeare", model), cfg), cfg.keepAlive());
        server = new SmeltServer(cfg, reg, Clock.systemUTC());
        base = "http://127.0.0.1:" + server.start() + "/v1";
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close(Duration.ZERO);
        }
    }

    private static OpenAiChatModel.OpenAiChatModelBuilder chat() {
        return OpenAiChatModel.builder().baseUrl(base).apiKey(KEY).modelName("shakespeare").maxRetries(0).timeout(Duration.ofSeconds(60));
    }

    private static final ToolSpecification WEATHER = ToolSpecification.builder().name("get_weather").description("Weather in a city")
            .parameters(JsonObjectSchema.builder().addEnumProperty("city", List.of("Paris", "London")).addEnumProperty("unit", List.of("c", "f"))
                    .required("city", "unit").build()).build();

    @Test
    void chatAnswersDeterministicallyAtTemperatureZero() {
        OpenAiChatModel m = chat().temperature(0.0).maxTokens(12).build();
        ChatResponse a = m.chat(ChatRequest.builder().messages(UserMessage.from("ROMEO:")).build());
        ChatResponse b = m.chat(ChatRequest.builder().messages(UserMessage.from("ROMEO:")).build());
        assertThat(a.aiMessage().text()).isNotBlank().isEqualTo(b.aiMessage().text());
        assertThat(a.tokenUsage().outputTokenCount()).isEqualTo(12);
        assertThat(a.finishReason()).isEqualTo(FinishReason.LENGTH);
    }

    @Test
    void streamingDeliversTheSameTextAsNonStreaming() throws Exception {
        OpenAiStreamingChatModel s = OpenAiStreamingChatModel.builder().baseUrl(base).apiKey(KEY).modelName("shakespeare")
                .temperature(0.0).maxTokens(12).timeout(Duration.ofSeconds(60)).build();
        StringBuilder parts = new StringBuilder();
        ChatResponse done = stream(s, ChatRequest.builder().messages(UserMessage.from("ROMEO:")).build(), parts);
        assertThat(parts.toString()).isEqualTo(done.aiMessage().text());
        String plain = chat().temperature(0.0).maxTokens(12).build().chat("ROMEO:");
        assertThat(done.aiMessage().text()).isEqualTo(plain);
    }

    @Test
    void requiredToolChoiceGivesAToolExecutionRequest() throws Exception {
        OpenAiChatModel m = chat().maxTokens(400).seed(11).build();
        ChatResponse r = m.chat(ChatRequest.builder().messages(UserMessage.from("Weather in Paris?"))
                .toolSpecifications(WEATHER).toolChoice(ToolChoice.REQUIRED).build());
        assertThat(r.finishReason()).isEqualTo(FinishReason.TOOL_EXECUTION);
        ToolExecutionRequest call = r.aiMessage().toolExecutionRequests().get(0);
        assertThat(call.name()).isEqualTo("get_weather");
        JsonNode args = M.readTree(call.arguments());
        assertThat(args.path("city").asText()).isIn("Paris", "London");
        assertThat(args.path("unit").asText()).isIn("c", "f");
        // the tool result goes back in the conversation and the model answers
        ChatResponse next = chat().maxTokens(5).temperature(0.0).build().chat(ChatRequest.builder().messages(
                UserMessage.from("Weather in Paris?"), r.aiMessage(), ToolExecutionResultMessage.from(call, "18 degrees"))
                .toolSpecifications(WEATHER).build());
        assertThat(next.aiMessage()).isNotNull();
    }

    @Test
    void streamedToolCallsAreAssembledFromDeltas() throws Exception {
        OpenAiStreamingChatModel s = OpenAiStreamingChatModel.builder().baseUrl(base).apiKey(KEY).modelName("shakespeare")
                .maxTokens(400).seed(12).timeout(Duration.ofSeconds(60)).build();
        ChatResponse r = stream(s, ChatRequest.builder().messages(UserMessage.from("Weather?")).toolSpecifications(WEATHER)
                .toolChoice(ToolChoice.REQUIRED).build(), new StringBuilder());
        AiMessage ai = r.aiMessage();
        assertThat(ai.hasToolExecutionRequests()).isTrue();
        assertThat(M.readTree(ai.toolExecutionRequests().get(0).arguments()).path("unit").asText()).isIn("c", "f");
    }

    @Test
    void jsonSchemaResponseFormatParsesAndValidates() throws Exception {
        OpenAiChatModel m = chat().maxTokens(300).seed(5).strictJsonSchema(true).build();
        ResponseFormat format = ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(JsonSchema.builder().name("ticket")
                .rootElement(JsonObjectSchema.builder().addEnumProperty("intent", List.of("lost_card", "refund"))
                        .addBooleanProperty("urgent").required("intent", "urgent").build()).build()).build();
        ChatResponse r = m.chat(ChatRequest.builder().messages(UserMessage.from("My card is gone")).responseFormat(format).build());
        JsonNode doc = M.readTree(r.aiMessage().text());
        assertThat(doc.path("intent").asText()).isIn("lost_card", "refund");
        assertThat(doc.path("urgent").isBoolean()).isTrue();
    }

    @Test
    void errorsMapToTheClientsExceptionTypes() {
        assertThatThrownBy(() -> chat().modelName("no-such-model").build().chat("x")).isInstanceOf(ModelNotFoundException.class)
                .hasMessageContaining("no-such-model");
        assertThatThrownBy(() -> chat().temperature(7.0).build().chat("x")).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("temperature");
        assertThatThrownBy(() -> OpenAiChatModel.builder().baseUrl(base).apiKey("wrong").modelName("shakespeare").maxRetries(0).build()
                .chat("x")).isInstanceOf(AuthenticationException.class);
        assertThat(chat().maxTokens(1).build().chat("x")).isNotNull(); // unharmed
    }

    private static ChatResponse stream(OpenAiStreamingChatModel s, ChatRequest req, StringBuilder parts) throws Exception {
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        s.chat(req, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                parts.append(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        return done.get(120, TimeUnit.SECONDS);
    }
}
