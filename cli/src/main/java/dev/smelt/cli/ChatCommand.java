package dev.smelt.cli;

import dev.smelt.model.KvCache;
import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.chat.ChatTemplate;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.runtime.Generator;
import dev.smelt.runtime.sampling.Sampler;
import dev.smelt.tensor.ThreadPool;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code smelt chat MODEL}: interactive chat with the model's own template (ChatML when it has none).
 * Each turn re-renders the conversation and feeds only the tokens after the longest cached prefix.
 */
@Command(name = "chat", description = "Chat interactively (stdin lines; empty line or /bye ends).")
final class ChatCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = HelpText.MODEL)
    Path model;

    @Option(names = "--system", description = "System prompt.")
    String system;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "512", description = "Most tokens per reply (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    LoraOptions loraOptions;

    @Override
    public Integer call() throws Exception {
        try (DecoderModel m = Models.load(ModelRefs.resolve(model)); ThreadPool pool = modelOptions.newPool()) {
            loraOptions.applyTo(m);
            Tokenizer tok = TextModels.tokenizer(m.file());
            String src = m.file().getString("tokenizer.chat_template", null);
            ChatTemplate template = src != null ? ChatTemplate.of(src, tok.bos() >= 0 ? tok.piece(tok.bos()) : "",
                    tok.eos() >= 0 ? tok.piece(tok.eos()) : "") : ChatTemplate.chatml();
            List<Map<String, Object>> messages = new ArrayList<>();
            if (system != null) {
                messages.add(Map.of("role", "system", "content", system));
            }
            KvCache cache = m.newCache(modelOptions.contextFor(m.config().contextLength()));
            int[] cached = new int[0];
            Generator g = new Generator(m, pool);
            Sampler sampler = new Sampler(sampling.toConfig());
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            while (true) {
                out.print("> ");
                out.flush();
                String line = in.readLine();
                if (line == null || line.isBlank() || line.trim().equals("/bye")) {
                    return 0;
                }
                messages.add(Map.of("role", "user", "content", line));
                int[] prompt = tok.encode(template.render(messages, null, true), false, true);
                int common = 0;
                while (common < Math.min(cached.length, prompt.length - 1) && cached[common] == prompt[common]) {
                    common++;
                }
                cache.truncate(Math.min(common, cache.length()));
                int[] fresh = Arrays.copyOfRange(prompt, cache.length(), prompt.length);
                int budget = Math.min(maxTokens, cache.capacity() - prompt.length - 1);
                if (budget <= 0) {
                    throw new IllegalArgumentException("the conversation (" + prompt.length + " tokens) fills the context of "
                            + cache.capacity() + "; start a new chat or raise --ctx");
                }
                RunCommand.Utf8Printer text = new RunCommand.Utf8Printer(out);
                java.io.ByteArrayOutputStream reply = new java.io.ByteArrayOutputStream();
                Generator.Result r = g.generate(fresh, cache, sampler, budget, tok::isEndOfGeneration, (t, l) -> {
                    if (!tok.isEndOfGeneration(t)) {
                        text.write(TextModels.visibleBytes(tok, t));
                        reply.writeBytes(TextModels.visibleBytes(tok, t));
                    }
                    return true;
                });
                text.flush();
                out.println();
                cached = concat(prompt, r.tokens());
                // the last sampled token was not fed: the cache holds prompt + all but the last generated token
                cache.truncate(Math.min(cache.length(), cached.length - 1));
                messages.add(Map.of("role", "assistant", "content", reply.toString(StandardCharsets.UTF_8).trim()));
            }
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
