package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.arch.Models;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.runtime.sampling.SamplerConfig;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChatResponderTest {
    static final int CONTEXT = 256;

    static ChatResponder responder(DecoderModel m, ThreadPool pool) throws Exception {
        Tokenizer tok = TextModels.tokenizer(m.file());
        return new ChatResponder(m, tok, ChatResponder.template(m, tok), pool, CONTEXT);
    }

    static PrintStream sink() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }

    @Test
    void aLaterTurnReusingTheCacheAnswersAsAFreshStartWould() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(1)) {
            ChatResponder a = responder(m, pool);
            List<Map<String, Object>> conv = new ArrayList<>(List.of(Map.of("role", "user", "content", "Good morrow")));
            String first = a.reply(conv, SamplerConfig.greedy(), 10, sink());
            conv.add(Map.of("role", "assistant", "content", first.strip()));
            conv.add(Map.of("role", "user", "content", "And then?"));
            String second = a.reply(conv, SamplerConfig.greedy(), 10, sink());
            String fresh = responder(m, pool).reply(conv, SamplerConfig.greedy(), 10, sink());
            assertThat(second).isEqualTo(fresh).isNotEmpty();
        }
    }

    @Test
    void aStopRequestEndsTheReplyAfterTheCurrentToken() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("shakespeare.gguf")); ThreadPool pool = new ThreadPool(1)) {
            List<Map<String, Object>> conv = List.of(Map.of("role", "user", "content", "Good morrow"));
            String oneToken = responder(m, pool).reply(conv, SamplerConfig.greedy(), 1, sink());
            ChatResponder r = responder(m, pool);
            PrintStream interrupting = new PrintStream(new OutputStream() { // Ctrl-C as the first token is shown
                @Override
                public void write(int b) {
                    r.requestStop();
                }
            }, true, StandardCharsets.UTF_8);
            assertThat(r.reply(conv, SamplerConfig.greedy(), 10, interrupting)).isEqualTo(oneToken);
            // the next reply is not stopped by the old request
            assertThat(r.reply(conv, SamplerConfig.greedy(), 10, sink()).length()).isGreaterThan(oneToken.length());
        }
    }
}
