package dev.smelt.cli;

import java.nio.file.Path;
import picocli.CommandLine.Parameters;

/** The MODEL positional (index 0) of every command that runs or reads one decoder model, declared once with its help. */
final class ModelArgument {
    @Parameters(index = "0", paramLabel = "MODEL", description = HelpText.MODEL)
    Path ref;

    /** The model as given: a GGUF path, an hf: reference or a store name. */
    Path ref() {
        return ref;
    }

    /** The local GGUF file it names (downloading an hf: reference once). */
    Path resolve() throws Exception {
        return ModelRefs.resolve(ref);
    }

    @Override
    public String toString() {
        return String.valueOf(ref);
    }
}
