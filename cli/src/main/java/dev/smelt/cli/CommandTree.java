package dev.smelt.cli;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * What every command in the tree shares, set once here rather than on each class: {@code -h/--help} and
 * {@code -V/--version}, the version text, the short usage errors ({@link UsageErrors}) and the one-line runtime errors
 * ({@link ErrorHandler}).
 */
final class CommandTree {
    private CommandTree() {
    }

    /** The root command line with every subcommand configured. */
    static CommandLine configure(CommandLine root) {
        String[] version = root.getCommandSpec().version();
        Set<CommandLine> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        configure(root, version, seen);
        root.setExecutionExceptionHandler(new ErrorHandler());
        root.setParameterExceptionHandler(new UsageErrors());
        return root;
    }

    private static void configure(CommandLine cl, String[] version, Set<CommandLine> seen) {
        if (!seen.add(cl)) {
            return; // aliases map to the same CommandLine
        }
        CommandSpec spec = cl.getCommandSpec();
        if (spec.version().length == 0) {
            spec.version(version);
        }
        if (spec.options().stream().noneMatch(OptionSpec::usageHelp)) {
            spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help message and exit.").build());
        }
        if (spec.options().stream().noneMatch(OptionSpec::versionHelp)) {
            spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true).description("Print version information and exit.").build());
        }
        for (CommandLine sub : cl.getSubcommands().values()) {
            configure(sub, version, seen);
        }
    }
}
