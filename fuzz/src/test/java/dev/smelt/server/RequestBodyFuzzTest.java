package dev.smelt.server;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.smelt.fuzz.Outcomes;
import dev.smelt.runtime.constrain.JsonMatcher;
import dev.smelt.server.http.HttpApp;

/**
 * OpenAI and Ollama request bodies, from raw bytes (strict UTF-8, JSON) to the server's CompletionRequest,
 * exactly as the handlers decode them. In this package because the codecs are package-private. When the body
 * asks for structured output, the compiled schema also runs over a few bytes, as generation would.
 */
class RequestBodyFuzzTest {
    private static final long SEED = 42;

    @FuzzTest
    void openAiChat(byte[] body) {
        Outcomes.expect(() -> exercise(OpenAiCodec.chat(HttpApp.jsonObject(body), SEED)));
    }

    @FuzzTest
    void openAiCompletions(byte[] body) {
        Outcomes.expect(() -> exercise(OpenAiCodec.completions(HttpApp.jsonObject(body), SEED)));
    }

    @FuzzTest
    void ollamaGenerate(byte[] body) {
        Outcomes.expect(() -> exercise(OllamaCodec.generate(HttpApp.jsonObject(body), SEED)));
    }

    @FuzzTest
    void ollamaChat(byte[] body) {
        Outcomes.expect(() -> exercise(OllamaCodec.chat(HttpApp.jsonObject(body), SEED)));
    }

    private static void exercise(CompletionRequest r) {
        if (r.format() != null && r.format().root() != null) {
            JsonMatcher.start(r.format().root()).feed("{\"a\": [1, \"x\", true, null]}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }
}
