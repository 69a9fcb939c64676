package dev.smelt.eval;

import dev.smelt.task.Prompts;
import dev.smelt.task.TaskSpec;
import java.util.List;
import java.util.Map;

/**
 * One request to a target: the raw input (what rules and embeddings look at) and the chat messages
 * the task builds from it. Immutable.
 *
 * @param maxTokens answer budget
 */
public record Query(String id, String input, List<Map<String, String>> messages, int maxTokens) {
    public Query {
        if (messages == null || messages.isEmpty()) {
            throw new IllegalArgumentException("a query needs at least one message (id " + id + ")");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max tokens must be >= 1, got " + maxTokens);
        }
    }

    /** The task's prompt for {@code input}. */
    public static Query of(TaskSpec task, String id, String input) {
        return new Query(id, input, Prompts.messages(task, input), task.maxTokens());
    }
}
