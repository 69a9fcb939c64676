package dev.smelt.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code smelt completion bash|zsh}: the shell completion script for the whole command tree (picocli's AutoComplete). */
@Command(name = "completion", description = {"Print a shell completion script for every smelt command and option.",
        "bash: source <(./smelt completion bash)   zsh: source <(./smelt completion zsh)"})
final class CompletionCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SHELL", description = "bash or zsh (zsh runs the bash script through bashcompinit).")
    String shell;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (!shell.equals("bash") && !shell.equals("zsh")) {
            throw new IllegalArgumentException("SHELL must be bash or zsh, got '" + shell + "'");
        }
        // The generated script detects zsh itself ($ZSH_VERSION) and loads bashcompinit there.
        spec.commandLine().getOut().print(AutoComplete.bash("smelt", spec.root().commandLine()));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
