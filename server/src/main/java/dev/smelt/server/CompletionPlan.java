package dev.smelt.server;

import dev.smelt.runtime.constrain.JsonConstraint;
import dev.smelt.runtime.constrain.Node;
import dev.smelt.runtime.constrain.SchemaCompiler;
import dev.smelt.runtime.constrain.SchemaException;
import dev.smelt.runtime.constrain.TokenConstraint;
import dev.smelt.server.CompletionRequest.Prompt;
import dev.smelt.server.http.ApiException;
import dev.smelt.server.tools.FallbackToolPrompt;
import dev.smelt.server.tools.ToolRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * A {@link CompletionRequest} made concrete for one model: the prompt's token ids (chat template and tools,
 * Ollama's context, token ids checked against the vocabulary), the generation limit within the context (sizes
 * added in long arithmetic), the logit-bias ids checked, and the grammar of structured output or of a forced
 * tool call. Every check that needs the model is here, a 400 naming the field. Immutable.
 *
 * @param tooling tool calling for the request, or null
 * @param echo    the prompt text each choice starts with (OpenAI's echo), or null
 */
record CompletionPlan(CompletionJob.Spec spec, Tooling tooling, String echo) {
    /** Blank bytes allowed between JSON tokens of a forced tool call: one, enough for "a": 1 style, no runs of newlines. */
    static final int TOOL_CALL_WHITESPACE = 1;

    /** The request for model {@code m} with LoRA adapter {@code adapter}; 400s name the field. */
    static CompletionPlan of(ServedModel m, CompletionRequest r, int adapter) {
        Tooling tooling = tooling(m, r);
        int[] ids = tokens(m, r, tooling);
        String promptParam = r.prompt() instanceof Prompt.Chat ? "messages" : "prompt";
        if (ids.length == 0) {
            throw ApiException.badRequest("the prompt is empty after tokenization", promptParam);
        }
        int ctxSize = m.engine().contextPerSlot();
        if (r.contextLimit() != null) {
            if (r.contextLimit() > ctxSize) {
                throw ApiException.badRequest("'options.num_ctx' " + r.contextLimit() + " exceeds this server's context of " + ctxSize
                        + " tokens per request; start smelt serve with a larger --ctx", "num_ctx");
            }
            ctxSize = r.contextLimit();
        }
        if (ids.length >= ctxSize) {
            throw new ApiException(400, "invalid_request_error", "the prompt has " + ids.length + " tokens but the context is "
                    + ctxSize + " tokens; shorten it (smelt never truncates silently)", promptParam, "context_length_exceeded", null);
        }
        int max = maxTokens(r, ids.length, ctxSize);
        if (r.sampling().logitBias().maxId() >= m.codec().vocabSize()) {
            throw ApiException.badRequest("'logit_bias' key " + r.sampling().logitBias().maxId() + " is outside the vocabulary of model '"
                    + m.name() + "' (token ids 0.." + (m.codec().vocabSize() - 1) + ")", "logit_bias");
        }
        Supplier<TokenConstraint> constraints = tooling != null && tooling.request().forced() ? toolConstraint(tooling, m) : format(r, m);
        CompletionJob.Spec spec = new CompletionJob.Spec(ids, r.sampling(), max, r.stops(), r.n(), r.logprobs(), constraints,
                tooling != null ? m.markerTokens() : Set.of(), adapter);
        return new CompletionPlan(spec, tooling, r.echo() ? echo(m, r.prompt(), ids) : null);
    }

    /** The generation limit: the request's, bounded by what is left of the context (sizes added in long: no overflow). */
    private static int maxTokens(CompletionRequest r, int promptTokens, int ctxSize) {
        int room = ctxSize - promptTokens;
        if (r.maxTokens() == null) {
            return room;
        }
        if ((long) r.maxTokens() > room) {
            if (r.clampToContext()) {
                return room;
            }
            throw new ApiException(400, "invalid_request_error", "the prompt has " + promptTokens + " tokens and '" + r.maxTokensParam()
                    + "' asks for " + r.maxTokens() + " more, but the context is " + ctxSize + " tokens; lower '" + r.maxTokensParam()
                    + "' to at most " + room + " or leave it out", r.maxTokensParam(), "context_length_exceeded", null);
        }
        return r.maxTokens();
    }

    private static Tooling tooling(ServedModel m, CompletionRequest r) {
        ToolRequest t = r.tools();
        if (!t.active() && !t.forced()) {
            return null;
        }
        return new Tooling(t, m.toolFormat(), t.forced() ? m.toolFormat().forcedPrefix() : "",
                "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16));
    }

    private static int[] tokens(ServedModel m, CompletionRequest r, Tooling tooling) {
        TextCodec codec = m.codec();
        return switch (r.prompt()) {
            case Prompt.Text t -> codec.encode(t.text(), true);
            case Prompt.Tokens t -> inVocabulary(t.ids(), m, "prompt");
            case Prompt.Chat c -> codec.encode(renderChat(m, c.messages(), r.tools(), tooling), false);
            case Prompt.Generate g -> generate(m, g);
            case Prompt.Load l -> throw new IllegalStateException("a load request generates nothing");
        };
    }

    private static String renderChat(ServedModel m, List<Map<String, Object>> messages, ToolRequest tools, Tooling tooling) {
        if (m.chat() == null) {
            throw ApiException.badRequest("model '" + m.name() + "' has no chat template; use /v1/completions or /api/generate", "model");
        }
        List<Map<String, Object>> templateTools = tools.active() ? tools.raw() : null;
        if (!m.nativeTools()) {
            messages = FallbackToolPrompt.rewrite(messages, templateTools);
            templateTools = null;
        }
        String text = m.chat().render(messages, templateTools, true);
        return tooling == null ? text : text + tooling.forcedPrefix();
    }

    /** Ollama's generate: the earlier answer's context, then the prompt (in the chat template unless raw). */
    private static int[] generate(ServedModel m, Prompt.Generate g) {
        int[] context = inVocabulary(g.context(), m, "context");
        boolean plain = g.raw() || m.chat() == null;
        String text;
        if (plain) {
            text = (g.system() != null ? g.system() + "\n\n" : "") + g.prompt();
        } else {
            List<Map<String, Object>> msgs = new ArrayList<>();
            if (g.system() != null) {
                msgs.add(Map.of("role", "system", "content", g.system()));
            }
            msgs.add(Map.of("role", "user", "content", g.prompt()));
            text = m.chat().render(msgs, null, true);
        }
        int[] ids = m.codec().encode(text, plain && context.length == 0); // BOS once, at the start of the conversation
        int[] all = Arrays.copyOf(context, context.length + ids.length);
        System.arraycopy(ids, 0, all, context.length, ids.length);
        return all;
    }

    /** {@code ids} unchanged when each is a token of the model; else a 400 naming the index and the value. */
    private static int[] inVocabulary(int[] ids, ServedModel m, String param) {
        int vocab = m.codec().vocabSize();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw ApiException.badRequest("'" + param + "[" + i + "]' = " + ids[i] + " is outside the vocabulary of model '" + m.name()
                        + "' (token ids 0.." + (vocab - 1) + ")", param);
            }
        }
        return ids;
    }

    private static String echo(ServedModel m, Prompt p, int[] ids) {
        if (p instanceof Prompt.Text t) {
            return t.text();
        }
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (int id : ids) {
            b.writeBytes(m.codec().tokenBytes(id));
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    /** A forced tool call (tool_choice required / named): the JSON of one valid call, by constrained decoding. */
    private static Supplier<TokenConstraint> toolConstraint(Tooling t, ServedModel m) {
        Node root;
        try {
            root = SchemaCompiler.compile(t.format().forcedSchema(t.request().forcedTools(), t.request().parallel()));
        } catch (SchemaException e) {
            throw ApiException.badRequest("tool parameters cannot be enforced for tool_choice '" + t.request().choice().name().toLowerCase()
                    + "': " + e.getMessage(), "tools");
        }
        return constraint(m, root, "tool_choice", TOOL_CALL_WHITESPACE);
    }

    private static Supplier<TokenConstraint> format(CompletionRequest r, ServedModel m) {
        return r.format() == null ? null : constraint(m, r.format().root(), r.format().param(), -1);
    }

    /** @param whitespace blank bytes allowed between JSON tokens, or −1 for the constraint's default */
    private static Supplier<TokenConstraint> constraint(ServedModel m, Node root, String param, int whitespace) {
        if (m.codec().eos() < 0) {
            throw ApiException.badRequest("model '" + m.name() + "' has no EOS token to end structured output", param);
        }
        byte[][] vocab = m.vocabBytes();
        TextCodec codec = m.codec();
        int blanks = whitespace < 0 ? JsonConstraint.DEFAULT_WHITESPACE : whitespace;
        // the model's tokenizer tokenizes what the schema forces (jump-forward decoding; the engine may turn it off)
        return () -> new JsonConstraint(root, vocab, codec::isEndOfGeneration, blanks, text -> codec.encode(text, false));
    }
}
