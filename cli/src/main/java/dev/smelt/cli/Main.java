package dev.smelt.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code smelt} command: wires the modules together. */
@Command(name = "smelt", mixinStandardHelpOptions = true, version = "smelt 0.1.0",
        description = "Run, fine-tune, compress, serve and route small language models on the JVM.",
        // one command per line: branches add theirs without conflicts
        subcommands = {
                RunCommand.class,
                InfoCommand.class,
                BenchCommand.class,
                ModelCommand.class,
                QuantizeCommand.class,
                TokenizeCommand.class,
                ServeCommand.class,
                StoreCommands.Pull.class,
                StoreCommands.ListCmd.class,
                StoreCommands.Rm.class,
                StoreCommands.Cp.class,
                StoreCommands.Create.class,
                ChatCommand.class,
                QualityCommands.PerplexityCmd.class,
                QualityCommands.KldCmd.class,
                QualityCommands.ImatrixCmd.class,
                PruneCommand.class,
                LowRankCommand.class,
                MergeCommand.class,
                FinetuneCommand.class,
                TrainBenchCommand.class,
                EmbedCommand.class,
                ClassifyCommands.Train.class,
                ClassifyCommands.Classify.class,
                DistillCommand.class,
                TeacherReplayCommand.class,
                EvalCommand.class,
                RouteEvalCommand.class,
                RouteTrainCommand.class,
                RouteCommand.class,
                DemoCommand.class,
                CompletionCommand.class,
                SparkCommands.Root.class,
                CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns its exit code (tests call this instead of main). */
    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    /** The whole command tree, configured as {@code ./smelt} runs it (help, version, errors: {@link CommandTree}). */
    static CommandLine commandLine() {
        return CommandTree.configure(new CommandLine(new Main()));
    }
}
