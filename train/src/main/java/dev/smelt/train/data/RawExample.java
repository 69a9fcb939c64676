package dev.smelt.train.data;

import java.util.List;
import java.util.Map;

/**
 * One parsed JSONL line before templating and tokenization. Immutable (the message maps are
 * unmodifiable JSON trees); thread-safe.
 */
public sealed interface RawExample {
    /** {@code file:line}. */
    String source();

    /**
     * A chat in OpenAI {@code messages} form, rendered with the model's template; assistant turns
     * at index ≥ {@code trainFrom} are trained (0 for {@code messages} files; the first completion
     * message for conversational prompt/completion lines).
     */
    record Conversation(List<Map<String, Object>> messages, List<Map<String, Object>> tools, int trainFrom, String source)
            implements RawExample {
    }

    /** Plain-text prompt and completion (no template, as TRL's standard prompt-completion): completion + EOS trained. */
    record PromptCompletion(String prompt, String completion, String source) implements RawExample {
    }

    /** Plain text: every token (and a final EOS) trained, as language-model pre-training. */
    record Text(String text, String source) implements RawExample {
    }
}
