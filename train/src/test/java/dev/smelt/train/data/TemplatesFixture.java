package dev.smelt.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.chat.ChatTemplate;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import dev.smelt.testkit.SharedData;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The real Llama 3 / Qwen3 / Gemma 3 templates of the chat golden with their Hugging Face tokenizers (cached). */
final class TemplatesFixture {
    private static final Map<String, ChatFormat> CACHE = new HashMap<>();

    private TemplatesFixture() {
    }

    static synchronized ChatFormat format(String model) throws IOException {
        ChatFormat f = CACHE.get(model);
        if (f == null) {
            JsonNode t = new ObjectMapper().readTree(SharedData.golden("chat-templates.golden.json").toFile()).path("templates").path(model);
            Tokenizer tok = Tokenizers.fromHuggingFace(SharedData.require("reference/tokenizers/hf/" + model + "/tokenizer.json.gz"));
            ChatTemplate ct = ChatTemplate.of(t.path("template").asText(), t.path("special_tokens").path("bos_token").asText(""),
                    t.path("special_tokens").path("eos_token").asText(""));
            f = new ChatFormat(ct, tok);
            CACHE.put(model, f);
        }
        return f;
    }

    /** The decoded text of each maximal run of scored tokens. */
    static List<String> trainedRuns(TokenizedExample e, Tokenizer tok) {
        List<String> runs = new ArrayList<>();
        int i = 0;
        while (i < e.tokens().length) {
            if (!e.target()[i]) {
                i++;
                continue;
            }
            int j = i;
            while (j < e.tokens().length && e.target()[j]) {
                j++;
            }
            runs.add(tok.decode(java.util.Arrays.copyOfRange(e.tokens(), i, j)));
            i = j;
        }
        return runs;
    }
}
