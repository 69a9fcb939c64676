package dev.smelt.cli;

import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.arch.Models;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.tensor.ThreadPool;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code smelt chat MODEL}: interactive chat with the model's own template (ChatML when it has none). On a
 * terminal the input has line editing and history (JLine); piped input is read as plain lines, one turn each.
 */
@Command(name = "chat", description = {"Chat interactively with a model (type /help for commands).",
        "On a terminal: line editing, history kept across runs in $SMELT_HOME/chat_history (default ~/.smelt), "
                + "multi-line input with a trailing \\ or \"\"\"...\"\"\". Piped stdin: one turn per line; end of input ends."})
final class ChatCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    ModelArgument model;

    @Option(names = "--system", description = "System prompt (change it in the chat with /system).")
    String system;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "512", description = "Most tokens per reply (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    LoraOptions loraOptions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ChatSettings settings = new ChatSettings(sampling.toConfig(), maxTokens);
        Path file = model.resolve();
        // a stored model's Modelfile SYSTEM and PARAMETERs are defaults, as the server applies them; flags win
        dev.smelt.model.store.StoredModel stored = ModelRefs.stored(model.ref());
        String name = stored != null ? model.toString() : file.getFileName().toString();
        if (stored != null) {
            StoredParameters.apply(stored.parameters(), spec.commandLine().getParseResult()::hasMatchedOption, settings);
        }
        String sys = system != null || stored == null ? system : stored.system();
        try (DecoderModel m = LoadLog.timed(System.err, name, LoadLog.bytes(file), () -> Models.load(file));
             ThreadPool pool = modelOptions.newPool()) {
            loraOptions.applyTo(m);
            ModelRefs.applyStoredAdapter(model.ref(), m);
            Tokenizer tok = TextModels.tokenizer(m.file());
            System.err.println(ChatResponder.describe(m));
            ChatResponder responder = new ChatResponder(m, tok, ChatResponder.template(m, tok), pool,
                    modelOptions.contextFor(m.config().contextLength()));
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            ChatSession session = new ChatSession(responder, settings, sys, name, out);
            boolean terminal = System.console() != null && System.console().isTerminal();
            if (terminal) {
                System.err.println("Type /help for commands, Ctrl-D or /bye to end; Ctrl-C stops a reply.");
            }
            try (ChatInput in = terminal ? terminalInput(responder)
                    : ChatInput.plain(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)))) {
                for (String s = in.read(); s != null && session.handle(s); s = in.read()) {
                    // each input handled in the loop condition
                }
            }
        }
        return 0;
    }

    /** JLine on the process's terminal; Ctrl-C during a reply ends that reply instead of the chat. */
    private static ChatInput terminalInput(ChatResponder responder) throws java.io.IOException {
        ChatTerminalInput in = new ChatTerminalInput(TerminalBuilder.builder().system(true).build(), historyFile(System.getenv()));
        in.onInterrupt(responder::requestStop);
        return in;
    }

    /** $SMELT_HOME/chat_history, with SMELT_HOME defaulting to ~/.smelt. */
    static Path historyFile(Map<String, String> env) {
        String home = env.get("SMELT_HOME");
        Path dir = home != null && !home.isBlank() ? Path.of(home) : Path.of(System.getProperty("user.home"), ".smelt");
        return dir.resolve("chat_history");
    }
}
