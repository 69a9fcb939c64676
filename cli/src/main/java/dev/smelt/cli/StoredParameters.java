package dev.smelt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A stored model's Modelfile {@code PARAMETER}s as the defaults of run and chat, as the server applies them
 * (server/StoredDefaults): a flag given on the command line always wins. Stateless.
 */
final class StoredParameters {
    /** Ollama's PARAMETER name -> the CLI option that overrides it (names {@link ChatSettings#set} takes). */
    private static final Map<String, String> OPTIONS = Map.ofEntries(Map.entry("temperature", "--temperature"),
            Map.entry("top_k", "--top-k"), Map.entry("top_p", "--top-p"), Map.entry("min_p", "--min-p"),
            Map.entry("repeat_penalty", "--repeat-penalty"), Map.entry("repeat_last_n", "--repeat-last-n"),
            Map.entry("frequency_penalty", "--frequency-penalty"), Map.entry("presence_penalty", "--presence-penalty"),
            Map.entry("seed", "--seed"), Map.entry("num_predict", "--max-tokens"));

    private StoredParameters() {
    }

    /**
     * Sets in {@code settings} every stored parameter whose option was not {@code given}; parameters the CLI has
     * no flag for (num_ctx, stop: see {@link #stops}) are left out.
     *
     * @throws IllegalArgumentException naming the parameter when a stored value is not valid
     */
    static void apply(ObjectNode params, Predicate<String> given, ChatSettings settings) {
        if (params == null) {
            return;
        }
        params.fields().forEachRemaining(e -> {
            String option = OPTIONS.get(e.getKey());
            if (option != null && !given.test(option) && !(e.getKey().equals("num_predict") && e.getValue().asInt() < 1)) {
                try {
                    settings.set(e.getKey(), e.getValue().asText());
                } catch (IllegalArgumentException x) {
                    throw new IllegalArgumentException("the stored Modelfile's PARAMETER " + x.getMessage(), x);
                }
            }
        });
    }

    /** The stored {@code stop} texts (one string or a list), empty when there are none. */
    static List<String> stops(ObjectNode params) {
        List<String> s = new ArrayList<>();
        JsonNode n = params == null ? null : params.get("stop");
        if (n != null && n.isArray()) {
            n.forEach(x -> s.add(x.asText()));
        } else if (n != null && n.isTextual()) {
            s.add(n.asText());
        }
        return s;
    }
}
