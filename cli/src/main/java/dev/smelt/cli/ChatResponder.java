package dev.smelt.cli;

import dev.smelt.model.KvCache;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.chat.ChatTemplate;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.runtime.Generator;
import dev.smelt.runtime.sampling.Sampler;
import dev.smelt.runtime.sampling.SamplerConfig;
import dev.smelt.tensor.ThreadPool;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Answers a chat with a decoder model. Each turn re-renders the whole conversation with the template and
 * feeds only the tokens after the longest prefix already in the KV cache, so a turn costs its new tokens.
 * The sampler (and its random state) lives across turns until the settings change. Not thread-safe.
 */
final class ChatResponder implements ChatSession.Responder {
    private final Tokenizer tok;
    private final ChatTemplate template;
    private final KvCache cache;
    private final Generator generator;
    private final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    private int[] cached = new int[0];
    private Sampler sampler;
    private SamplerConfig samplerConfig;

    ChatResponder(DecoderModel model, Tokenizer tok, ChatTemplate template, ThreadPool pool, int context) {
        this.tok = tok;
        this.template = template;
        this.cache = model.newCache(context);
        this.generator = new Generator(model, pool);
    }

    /** The model's template, or ChatML when the file has none; {@link #describe} says which. */
    static ChatTemplate template(DecoderModel m, Tokenizer tok) {
        String src = m.file().getString("tokenizer.chat_template", null);
        return src != null ? ChatTemplate.of(m.file().path() + ":tokenizer.chat_template", src, tok.bos() >= 0 ? tok.piece(tok.bos()) : "", tok.eos() >= 0 ? tok.piece(tok.eos()) : "")
                : ChatTemplate.chatml();
    }

    /** One line for the start of a chat: whose template is used and which family it looks like. */
    static String describe(DecoderModel m) {
        String src = m.file().getString("tokenizer.chat_template", null);
        if (src == null) {
            return "chat template: ChatML (fallback: the model has no tokenizer.chat_template)";
        }
        return "chat template: the model's own (tokenizer.chat_template, " + family(src) + ")";
    }

    /** The prompt format a template's markers belong to, for the start-up line only. */
    static String family(String src) {
        if (src.contains("<|im_start|>")) {
            return "ChatML style";
        }
        if (src.contains("<|start_header_id|>")) {
            return "Llama 3 style";
        }
        if (src.contains("<start_of_turn>")) {
            return "Gemma style";
        }
        if (src.contains("[INST]")) {
            return "Mistral/Llama 2 style";
        }
        if (src.contains("<|user|>")) {
            return "Zephyr/Phi style";
        }
        return "custom";
    }

    /** Ends the reply being generated after its current token (Ctrl-C on a terminal); callable from any thread. */
    void requestStop() {
        stop.set(true);
    }

    @Override
    public String reply(List<Map<String, Object>> messages, SamplerConfig config, int maxTokens, PrintStream out) {
        if (!config.equals(samplerConfig)) {
            sampler = new Sampler(config);
            samplerConfig = config;
        }
        int[] prompt = tok.encode(template.render(messages, null, true), false, true);
        int common = 0;
        while (common < Math.min(cached.length, prompt.length - 1) && cached[common] == prompt[common]) {
            common++;
        }
        cache.truncate(Math.min(common, cache.length()));
        int budget = Math.min(maxTokens, cache.capacity() - prompt.length - 1);
        if (budget <= 0) {
            throw new IllegalArgumentException("the conversation (" + prompt.length + " tokens) fills the context of "
                    + cache.capacity() + " tokens; /clear starts over (or restart with a larger --ctx)");
        }
        int[] fresh = Arrays.copyOfRange(prompt, cache.length(), prompt.length);
        stop.set(false);
        RunCommand.Utf8Printer text = new RunCommand.Utf8Printer(out);
        ByteArrayOutputStream reply = new ByteArrayOutputStream();
        Generator.Result r = generator.generate(fresh, cache, sampler, budget, tok::isEndOfGeneration, (t, l) -> {
            if (!tok.isEndOfGeneration(t)) {
                byte[] b = TextModels.visibleBytes(tok, t);
                text.write(b);
                reply.writeBytes(b);
            }
            return !stop.get();
        });
        text.flush();
        out.println();
        cached = concat(prompt, r.tokens());
        // the last sampled token was not fed: the cache holds prompt + all but the last generated token
        cache.truncate(Math.min(cache.length(), cached.length - 1));
        return reply.toString(StandardCharsets.UTF_8);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
