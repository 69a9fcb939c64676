package dev.smelt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.runtime.sampling.SamplerConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One chat's conversation and its slash commands, independent of the terminal and of the model (a
 * {@link Responder} writes each reply). Inputs starting with '/' are commands; anything else is a user
 * turn. Not thread-safe.
 */
final class ChatSession {
    static final String HELP = """
            Commands:
              /help                  this list
              /clear                 forget the conversation (the system prompt stays)
              /set                   show the sampling parameters
              /set NAME VALUE        change one: temperature, top_k, top_p, min_p, repeat_penalty,
                                     repeat_last_n, frequency_penalty, presence_penalty, seed, num_predict
              /system [TEXT]         set the system prompt (no TEXT: show it; /system off: remove it)
              /save FILE             write the conversation as an OpenAI chat request (JSON)
              /bye                   end the chat (also /exit, Ctrl-D)
            Multi-line input: end a line with \\ to continue it, or wrap text in \"\"\" ... \"\"\".""";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Writes the assistant's reply to a conversation, streaming it to {@code out}; returns its text. */
    interface Responder {
        /**
         * @throws IllegalArgumentException when the conversation cannot be answered (e.g. it fills the context);
         *                                  the message is shown and the turn dropped
         */
        String reply(List<Map<String, Object>> messages, SamplerConfig config, int maxTokens, PrintStream out) throws IOException;
    }

    private final Responder responder;
    private final ChatSettings settings;
    private final PrintStream out;
    private final String modelName;
    private final List<Map<String, Object>> turns = new ArrayList<>();
    private String system;

    ChatSession(Responder responder, ChatSettings settings, String system, String modelName, PrintStream out) {
        this.responder = responder;
        this.settings = settings;
        this.system = system;
        this.modelName = modelName;
        this.out = out;
    }

    /** The conversation as sent to the template: the system prompt (if any), then the turns. */
    List<Map<String, Object>> messages() {
        List<Map<String, Object>> m = new ArrayList<>();
        if (system != null) {
            m.add(Map.of("role", "system", "content", system));
        }
        m.addAll(turns);
        return m;
    }

    ChatSettings settings() {
        return settings;
    }

    /** Handles one complete input; returns false when the chat should end. */
    boolean handle(String input) throws IOException {
        String s = input.strip();
        if (s.isEmpty()) {
            return true;
        }
        if (!s.startsWith("/")) {
            turn(s);
            return true;
        }
        String[] parts = s.split("\\s+", 2);
        String arg = parts.length > 1 ? parts[1].strip() : "";
        switch (parts[0]) {
            case "/bye", "/exit", "/quit" -> {
                return false;
            }
            case "/help", "/?" -> out.println(HELP);
            case "/clear" -> {
                turns.clear();
                out.println("(conversation cleared)");
            }
            case "/set" -> set(arg);
            case "/system" -> system(arg);
            case "/save" -> save(arg);
            default -> out.println("unknown command " + parts[0] + "; /help lists them");
        }
        return true;
    }

    private void turn(String text) throws IOException {
        turns.add(Map.of("role", "user", "content", text));
        try {
            String reply = responder.reply(messages(), settings.config(), settings.maxTokens(), out);
            turns.add(Map.of("role", "assistant", "content", reply.strip()));
        } catch (IllegalArgumentException e) {
            turns.removeLast();
            out.println("error: " + e.getMessage());
        }
    }

    private void set(String arg) {
        if (arg.isEmpty()) {
            settings.values().forEach((k, v) -> out.println(k + " " + v));
            return;
        }
        String[] nv = arg.split("\\s+", 2);
        if (nv.length < 2) {
            out.println("usage: /set NAME VALUE (for example /set temperature 0.2)");
            return;
        }
        try {
            settings.set(nv[0], nv[1].strip());
            out.println("set " + nv[0] + " to " + nv[1].strip());
        } catch (IllegalArgumentException e) {
            out.println("error: " + e.getMessage());
        }
    }

    private void system(String arg) {
        if (arg.isEmpty()) {
            out.println(system == null ? "(no system prompt)" : system);
        } else if (arg.equals("off")) {
            system = null;
            out.println("(system prompt removed)");
        } else {
            system = arg;
            out.println("(system prompt set)");
        }
    }

    /** Writes {"model", "messages", sampling fields} through a temporary file, so an interrupted save leaves no half file. */
    private void save(String arg) throws IOException {
        if (arg.isEmpty()) {
            out.println("usage: /save FILE");
            return;
        }
        Path p;
        try {
            p = Path.of(arg).toAbsolutePath();
        } catch (java.nio.file.InvalidPathException e) {
            out.println("error: '" + arg + "' is not a file name: " + e.getReason());
            return;
        }
        ObjectNode o = JSON.createObjectNode().put("model", modelName);
        ArrayNode msgs = o.putArray("messages");
        for (Map<String, Object> m : messages()) {
            msgs.addObject().put("role", (String) m.get("role")).put("content", (String) m.get("content"));
        }
        SamplerConfig c = settings.config();
        o.put("temperature", c.temperature()).put("top_p", c.topP()).put("seed", c.seed()).put("max_tokens", settings.maxTokens())
                .put("frequency_penalty", c.frequencyPenalty()).put("presence_penalty", c.presencePenalty());
        Path tmp = null;
        try {
            tmp = Files.createTempFile(p.getParent(), p.getFileName().toString(), ".tmp");
            Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            out.println("(saved " + messages().size() + " messages to " + p + ")");
        } catch (IOException e) {
            out.println("error: cannot write " + p + ": " + e.getMessage());
        } finally {
            if (tmp != null) {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
