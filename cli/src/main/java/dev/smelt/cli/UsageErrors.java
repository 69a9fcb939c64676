package dev.smelt.cli;

import dev.smelt.model.text.Suggestions;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Usage errors as short as git's: the problem, the nearest command or option when something was mistyped
 * ("did you mean run?"), the command's one-line synopsis and where its help is; never the whole help, except for a
 * command that only groups subcommands and was given none ({@code smelt}, {@code smelt model}): then the list. Exit code 2.
 */
final class UsageErrors implements CommandLine.IParameterExceptionHandler {
    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        CommandSpec spec = cmd.getCommandSpec();
        PrintWriter err = cmd.getErr();
        String path = spec.qualifiedName();
        if (!cmd.getSubcommands().isEmpty() && String.valueOf(ex.getMessage()).startsWith("Missing required subcommand")) {
            cmd.usage(err); // `smelt` or `smelt model` alone: the list of commands is the answer
            err.flush();
            return spec.exitCodeOnInvalidInput();
        }
        if (ex instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String typed = u.getUnmatched().getFirst();
            boolean option = typed.startsWith("-");
            String word = option && typed.contains("=") ? typed.substring(0, typed.indexOf('=')) : typed;
            List<String> near = Suggestions.nearest(word, option ? optionNames(spec) : new ArrayList<>(cmd.getSubcommands().keySet()));
            if (!option && !cmd.getSubcommands().isEmpty() && spec.positionalParameters().isEmpty()) {
                err.println(path + ": '" + typed + "' is not a command." + didYouMean(near));
            } else {
                err.println(path + ": " + (option ? "unknown option '" + word + "'." : "unexpected argument '" + typed + "'.") + didYouMean(near));
            }
        } else {
            err.println(path + ": " + ex.getMessage());
        }
        err.println("Usage: " + cmd.getHelp().synopsis(0).strip());
        err.println("See '" + path + " --help'.");
        err.flush();
        return spec.exitCodeOnInvalidInput();
    }

    private static String didYouMean(List<String> near) {
        return near.isEmpty() ? "" : " Did you mean " + String.join(" or ", near) + "?";
    }

    private static List<String> optionNames(CommandSpec spec) {
        List<String> names = new ArrayList<>();
        for (OptionSpec o : spec.options()) {
            if (!o.hidden()) {
                names.addAll(List.of(o.names()));
            }
        }
        return names;
    }
}
