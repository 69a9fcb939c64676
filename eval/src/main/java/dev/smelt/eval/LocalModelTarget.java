package dev.smelt.eval;

import dev.smelt.model.KvCache;
import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.chat.ChatTemplate;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import dev.smelt.runtime.Generator;
import dev.smelt.runtime.sampling.Sampler;
import dev.smelt.runtime.sampling.SamplerConfig;
import dev.smelt.tensor.ThreadPool;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A local GGUF model as a target: the conversation rendered with the model's chat template (ChatML
 * when it has none, as llama-server does), greedy decoding until an end-of-generation token or the
 * budget, and the answer's confidence = exp(sum of the chosen tokens' log-softmax). Free.
 * Not thread-safe internally; {@link #answer} is synchronized. Owns the model and its threads.
 */
public final class LocalModelTarget implements Target {
    private final String name;
    private final DecoderModel model;
    private final ThreadPool pool;
    private final Tokenizer tok;
    private final ChatTemplate template;
    private final int ctx;

    public LocalModelTarget(String name, Path gguf, int threads, int ctx) throws java.io.IOException {
        if (threads < 1 || ctx < 16) {
            throw new IllegalArgumentException("threads must be >= 1 and ctx >= 16, got " + threads + ", " + ctx);
        }
        this.name = name;
        this.model = Models.load(gguf);
        try {
            this.tok = Tokenizers.fromGguf(model.file());
            String src = model.file().getString("tokenizer.chat_template", null);
            this.template = src != null ? ChatTemplate.of(src, tok.bos() >= 0 ? tok.piece(tok.bos()) : "", tok.eos() >= 0 ? tok.piece(tok.eos()) : "")
                    : ChatTemplate.chatml();
        } catch (RuntimeException | java.io.IOException e) {
            model.close();
            throw e;
        }
        this.ctx = Math.min(ctx, model.config().contextLength());
        this.pool = new ThreadPool(threads);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public synchronized Answer answer(Query q) {
        long t0 = System.nanoTime();
        List<Map<String, Object>> msgs = new ArrayList<>();
        q.messages().forEach(m -> msgs.add(Map.of("role", m.get("role"), "content", m.get("content"))));
        int[] prompt = tok.encode(template.render(msgs, null, true), false, true);
        int budget = Math.min(q.maxTokens(), ctx - prompt.length - 1);
        if (budget < 1) {
            throw new IllegalArgumentException("query " + q.id() + ": prompt of " + prompt.length + " tokens fills the context of " + ctx);
        }
        KvCache cache = model.newCache(ctx);
        double[] sumLp = {0};
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        Generator.Result r = new Generator(model, pool).generate(prompt, cache, new Sampler(SamplerConfig.greedy()), budget,
                tok::isEndOfGeneration, (t, logits) -> {
                    sumLp[0] += logSoftmaxAt(logits, t, model.config().vocab());
                    if (!tok.isSpecial(t)) {
                        text.writeBytes(tok.tokenBytes(t));
                    }
                    return true;
                });
        return new Answer(text.toString(StandardCharsets.UTF_8).strip(), name, Math.exp(sumLp[0]), prompt.length, r.tokens().length,
                BigDecimal.ZERO, System.nanoTime() - t0, false, List.of());
    }

    /** log softmax(logits)[t] over the first {@code vocab} entries, computed with the max subtracted (no overflow). */
    static double logSoftmaxAt(float[] logits, int t, int vocab) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[i] - max);
        }
        return logits[t] - max - Math.log(sum);
    }

    @Override
    public boolean isFree() {
        return true;
    }

    @Override
    public void close() {
        pool.close();
        model.close();
    }
}
