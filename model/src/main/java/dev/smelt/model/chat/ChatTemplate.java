package dev.smelt.model.chat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.JinjavaProcessors;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's Jinja chat template rendered with Hugging Face {@code apply_chat_template} semantics on
 * Jinjava (trim_blocks, lstrip_blocks; variables messages, tools, add_generation_prompt, bos_token,
 * eos_token; {@code raise_exception}, {@code strftime_now}; {@code tojson} with Python's separators and
 * no ASCII escaping). Thread-safe: each render uses its own interpreter.
 */
public final class ChatTemplate {
    /**
     * Render steps (template nodes rendered plus loop iterations) one render may take. A real template
     * takes a few dozen per message, so this leaves room for tens of thousands of messages while a
     * hostile template's nested loops stop after about a second of work instead of running for days.
     */
    public static final long MAX_RENDER_STEPS = 1_000_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final String source;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    private ChatTemplate(String name, String source, String bosToken, String eosToken) {
        this.name = name;
        this.source = PythonIdioms.rewrite(source);
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        JinjavaConfig cfg = JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withFailOnUnknownTokens(false).withMaxOutputSize(16L << 20)
                .withProcessors(JinjavaProcessors.newBuilder().withNodePreProcessor(RenderBudget::onNode).build()).build();
        this.jinjava = new Jinjava(cfg);
        jinjava.getGlobalContext().registerTag(new RenderBudget.BoundedForTag()); // replaces the unbounded "for"
        TemplateFilters.all().forEach(jinjava.getGlobalContext()::registerFilter); // size-checked center, indent, format, replace
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class,
                "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now", ChatTemplate.class,
                "strftimeNow", String.class));
        jinjava.getGlobalContext().registerFilter(new PythonJsonFilter());
        registerPy("startswith", Object.class, Object.class);
        registerPy("endswith", Object.class, Object.class);
        registerPy("split", Object.class, Object.class);
        registerPy("strip", Object.class, Object.class);
        registerPy("lstrip", Object.class, Object.class);
        registerPy("rstrip", Object.class, Object.class);
        registerPy("upper", Object.class);
        registerPy("lower", Object.class);
        registerPy("replace", Object.class, Object.class, Object.class);
    }

    private void registerPy(String name, Class<?>... params) {
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "py_" + name, PythonIdioms.class, name, params));
    }

    /** A template from its source and the tokenizer's BOS/EOS texts. */
    public static ChatTemplate of(String source, String bosToken, String eosToken) {
        return of("chat template", source, bosToken, eosToken);
    }

    /**
     * A template named for errors by where it came from (e.g. {@code model.gguf:tokenizer.chat_template}
     * or a Modelfile's TEMPLATE), from its source and the tokenizer's BOS/EOS texts.
     */
    public static ChatTemplate of(String name, String source, String bosToken, String eosToken) {
        if (source == null || source.isBlank()) {
            throw new IllegalArgumentException(name + ": chat template source is empty");
        }
        return new ChatTemplate(name, source, bosToken, eosToken);
    }

    /** ChatML, the fallback llama-server and Ollama use when a model ships no template. */
    public static ChatTemplate chatml() {
        return of("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
                + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}", "", "");
    }

    public String source() {
        return source;
    }

    /**
     * Renders a conversation.
     *
     * @param messages OpenAI-style messages as JSON-like maps (role, content, tool_calls, …)
     * @param tools    tool definitions or null
     * @throws ChatTemplateException with the template line when rendering fails, or when it takes more than
     *                               {@link #MAX_RENDER_STEPS}
     */
    public String render(List<Map<String, Object>> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt) {
        Map<String, Object> ctx = new HashMap<>();
        ctx.put("messages", messages);
        if (tools != null) {
            ctx.put("tools", tools);
        }
        ctx.put("add_generation_prompt", addGenerationPrompt);
        ctx.put("bos_token", bosToken);
        ctx.put("eos_token", eosToken);
        RenderResult r;
        RenderBudget.start(name, MAX_RENDER_STEPS);
        try {
            r = jinjava.renderForResult(source, ctx);
        } finally {
            RenderBudget.end();
        }
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                Throwable root = e.getException();
                while (root != null && root.getCause() != null && root.getCause() != root) {
                    root = root.getCause();
                }
                if (root instanceof ChatTemplateException cte) {
                    throw cte;
                }
                // Jinjava quotes the template text it could not parse: cut it, a template can be long
                throw new ChatTemplateException(name + " error at line " + e.getLineno() + ": " + dev.smelt.model.text.Quote.cut(e.getMessage())
                        + (root != null && root.getMessage() != null ? " (" + dev.smelt.model.text.Quote.cut(root.getMessage()) + ")" : ""));
            }
        }
        return r.getOutput();
    }

    /** {@code raise_exception(msg)} as HF templates call it. */
    public static String raiseException(String message) {
        throw new ChatTemplateException("chat template raised: " + dev.smelt.model.text.Quote.cut(message));
    }

    /** {@code strftime_now(fmt)}: the current local time with a C strftime format (common directives). */
    public static String strftimeNow(String format) {
        String f = format.replace("%Y", "yyyy").replace("%m", "MM").replace("%d", "dd").replace("%B", "MMMM")
                .replace("%b", "MMM").replace("%H", "HH").replace("%M", "mm").replace("%S", "ss").replace("%A", "EEEE");
        return LocalDateTime.now().format(DateTimeFormatter.ofPattern(f, java.util.Locale.ENGLISH));
    }

    /** JSON as Python's json.dumps: ", " and ": " separators, non-ASCII kept (HF's tojson). */
    static String pythonJson(Object value, Integer indent) {
        try {
            if (indent != null && indent > 0) {
                DefaultPrettyPrinter pp = new DefaultPrettyPrinter() {
                    @Override
                    public DefaultPrettyPrinter createInstance() {
                        return this;
                    }

                    @Override
                    public void writeObjectFieldValueSeparator(JsonGenerator g) throws java.io.IOException {
                        g.writeRaw(": ");
                    }
                };
                DefaultIndenter ind = new DefaultIndenter(" ".repeat(indent), "\n");
                pp.indentObjectsWith(ind);
                pp.indentArraysWith(ind);
                return JSON.writer(pp).writeValueAsString(value);
            }
            return JSON.writer(new PythonCompactPrinter()).writeValueAsString(value);
        } catch (java.io.IOException e) {
            throw new ChatTemplateException("tojson failed: " + dev.smelt.model.text.Quote.cut(e.getMessage()));
        }
    }
}
