package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Walks the whole command tree: every command answers {@code -h/--help} and {@code -V/--version} with exit 0 and no
 * picocli warning, every option and parameter says what it is, and every default shows in the help.
 */
class CommandTreeTest {

    /** Every command path, e.g. [], [run], [model, random]. */
    private static List<List<String>> paths() {
        List<List<String>> out = new ArrayList<>();
        walk(Main.commandLine(), new ArrayList<>(), out, Collections.newSetFromMap(new IdentityHashMap<>()));
        return out;
    }

    private static void walk(CommandLine cl, List<String> path, List<List<String>> out, Set<CommandLine> seen) {
        if (!seen.add(cl)) {
            return;
        }
        out.add(List.copyOf(path));
        cl.getSubcommands().forEach((name, sub) -> {
            path.add(name);
            walk(sub, path, out, seen);
            path.removeLast();
        });
    }

    @Test
    void theTreeHasEveryCommand() {
        List<String> names = paths().stream().map(p -> String.join(" ", p)).toList();
        assertThat(names).contains("", "run", "chat", "serve", "model random", "model random-lora", "completion", "demo", "help");
    }

    @Test
    void everyCommandAnswersHelpAndVersionWithExitZeroAndNoWarning() {
        for (List<String> path : paths()) {
            for (String flag : List.of("--help", "-h", "-V", "--version")) {
                List<String> args = new ArrayList<>(path);
                args.add(flag);
                String[] r = CliRun.run(args.toArray(String[]::new));
                String where = "smelt " + String.join(" ", args);
                assertThat(r[0]).as(where + " exit code; stderr: " + r[2]).isEqualTo("0");
                assertThat(r[2]).as(where + " stderr").doesNotContain("WARN").isEmpty();
                assertThat(r[1]).as(where + " stdout").contains(flag.equals("-V") || flag.equals("--version") ? "smelt 0.1.0" : "Usage: smelt");
            }
        }
    }

    @Test
    void everyOptionAndParameterHasADescriptionAndShowsItsDefault() {
        List<String> problems = new ArrayList<>();
        Set<CommandLine> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<CommandLine> all = new ArrayList<>();
        collect(Main.commandLine(), all, seen);
        for (CommandLine cl : all) {
            CommandSpec spec = cl.getCommandSpec();
            assertThat(String.join(" ", spec.usageMessage().description())).as(spec.qualifiedName() + " description").isNotBlank();
            List<ArgSpec> args = new ArrayList<>(spec.options());
            args.addAll(spec.positionalParameters());
            for (ArgSpec a : args) {
                String name = spec.qualifiedName() + " " + (a instanceof OptionSpec o ? o.longestName() : a.paramLabel());
                String rendered = String.join(" ", a.renderedDescription());
                if (rendered.isBlank()) {
                    problems.add(name + ": no description");
                }
                String def = a.defaultValue();
                if (def != null && !(rendered.toLowerCase(java.util.Locale.ROOT).contains("default") && rendered.contains(def))) {
                    problems.add(name + ": default '" + def + "' not shown (use ${DEFAULT-VALUE}) in '" + rendered + "'");
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    /** The names of the shared option groups; a command that declares one of them itself drifts from the others. */
    private static final Set<String> SHARED_NAMES = Set.of("-t", "--threads", "-c", "--ctx");

    @Test
    void threadsAndContextAreDeclaredOnlyInTheirSharedMixins() {
        List<String> problems = new ArrayList<>();
        List<String> withThreads = new ArrayList<>();
        List<String> withContext = new ArrayList<>();
        List<CommandLine> all = new ArrayList<>();
        collect(Main.commandLine(), all, Collections.newSetFromMap(new IdentityHashMap<>()));
        for (CommandLine cl : all) {
            CommandSpec spec = cl.getCommandSpec();
            for (OptionSpec o : spec.options()) {
                if (java.util.Arrays.stream(o.names()).noneMatch(SHARED_NAMES::contains)) {
                    continue;
                }
                Class<?> owner = o.userObject() instanceof java.lang.reflect.Field f ? f.getDeclaringClass() : null;
                String where = spec.qualifiedName() + " " + String.join("/", o.names());
                if (owner == ThreadsOption.class && List.of(o.names()).equals(List.of("-t", "--threads"))) {
                    withThreads.add(spec.qualifiedName());
                } else if (owner == ContextOption.class && List.of(o.names()).equals(List.of("-c", "--ctx"))) {
                    withContext.add(spec.qualifiedName());
                } else {
                    problems.add(where + " is declared in " + owner + ", not in ThreadsOption/ContextOption (use the mixin)");
                }
            }
        }
        assertThat(problems).isEmpty();
        assertThat(withThreads).contains("smelt run", "smelt chat", "smelt serve", "smelt eval", "smelt bench", "smelt quantize",
                "smelt prune", "smelt lowrank", "smelt perplexity", "smelt kld", "smelt imatrix", "smelt merge", "smelt finetune",
                "smelt bench-train", "smelt model random", "smelt route", "smelt route-train", "smelt route-eval");
        assertThat(withContext).contains("smelt run", "smelt chat", "smelt serve", "smelt eval", "smelt quantize", "smelt prune",
                "smelt lowrank", "smelt perplexity", "smelt kld", "smelt imatrix");
    }

    @Test
    void theModelPositionalIsDeclaredOnlyInModelArgument() {
        List<String> problems = new ArrayList<>();
        List<String> withModel = new ArrayList<>();
        List<CommandLine> all = new ArrayList<>();
        collect(Main.commandLine(), all, Collections.newSetFromMap(new IdentityHashMap<>()));
        for (CommandLine cl : all) {
            CommandSpec spec = cl.getCommandSpec();
            for (CommandLine.Model.PositionalParamSpec p : spec.positionalParameters()) {
                if (!p.paramLabel().equals("MODEL")) {
                    continue;
                }
                Class<?> owner = p.userObject() instanceof java.lang.reflect.Field f ? f.getDeclaringClass() : null;
                if (owner == ModelArgument.class) {
                    withModel.add(spec.qualifiedName());
                } else {
                    problems.add(spec.qualifiedName() + " MODEL is declared in " + owner + ", not in ModelArgument (use the mixin)");
                }
            }
        }
        assertThat(problems).isEmpty();
        assertThat(withModel).contains("smelt run", "smelt chat", "smelt info", "smelt tokenize", "smelt bench", "smelt perplexity",
                "smelt imatrix", "smelt bench-train");
    }

    private static void collect(CommandLine cl, List<CommandLine> out, Set<CommandLine> seen) {
        if (seen.add(cl)) {
            out.add(cl);
            cl.getSubcommands().values().forEach(s -> collect(s, out, seen));
        }
    }

    @Test
    void aMistypedCommandGetsTheNearestNameNotTheWholeHelp() {
        String[] r = CliRun.run("rnu", "x");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("'rnu' is not a command. Did you mean run?").contains("See 'smelt --help'.");
        assertThat(r[2].lines().count()).as(r[2]).isLessThan(5);
        assertThat(r[1]).isEmpty();
    }

    @Test
    void aGroupWithoutItsSubcommandListsTheSubcommands() {
        String[] r = CliRun.run("model");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("Usage: smelt model").contains("random-lora");
        assertThat(CliRun.run()[2]).contains("Usage: smelt").contains("classify-train").contains("completion");
    }

    @Test
    void aMistypedOptionGetsTheNearestOption() {
        String[] r = CliRun.run("run", "x.gguf", "--temprature", "0");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("smelt run: unknown option '--temprature'. Did you mean --temperature?").contains("See 'smelt run --help'.");
    }

    @Test
    void aMistypedSubcommandOfModelIsSuggestedToo() {
        String[] r = CliRun.run("model", "randon");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("smelt model: 'randon' is not a command. Did you mean random?");
    }

    @Test
    void completionPrintsABashScriptThatAlsoServesZsh() {
        for (String shell : List.of("bash", "zsh")) {
            String[] r = CliRun.run("completion", shell);
            assertThat(r[0]).as(r[2]).isEqualTo("0");
            assertThat(r[1]).contains("complete -F").contains("ZSH_VERSION").contains("classify-train").contains("--temperature");
        }
        String[] bad = CliRun.run("completion", "fish");
        assertThat(bad[0]).isEqualTo("1");
        assertThat(bad[2]).contains("SHELL must be bash or zsh, got 'fish'");
    }
}
