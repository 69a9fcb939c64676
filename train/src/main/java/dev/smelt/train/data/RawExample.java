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
     * message for conversational prompt/completion lines). {@code teacher}: teacher logprobs of
     * assistant messages, by message index (empty when the data has none).
     */
    record Conversation(List<Map<String, Object>> messages, List<Map<String, Object>> tools, int trainFrom, String source,
                        Map<Integer, TeacherLogprobs> teacher) implements RawExample {
        public Conversation {
            teacher = teacher == null ? Map.of() : Map.copyOf(teacher);
        }

        /** Without teacher logprobs. */
        public Conversation(List<Map<String, Object>> messages, List<Map<String, Object>> tools, int trainFrom, String source) {
            this(messages, tools, trainFrom, source, Map.of());
        }
    }

    /** Plain-text prompt and completion (no template, as TRL's standard prompt-completion): completion + EOS trained; teacher logprobs of the completion or null. */
    record PromptCompletion(String prompt, String completion, String source, TeacherLogprobs teacher) implements RawExample {
        /** Without teacher logprobs. */
        public PromptCompletion(String prompt, String completion, String source) {
            this(prompt, completion, source, null);
        }
    }

    /** Plain text: every token (and a final EOS) trained, as language-model pre-training. */
    record Text(String text, String source) implements RawExample {
    }
}
