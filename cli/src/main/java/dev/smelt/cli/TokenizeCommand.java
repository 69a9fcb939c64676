package dev.smelt.cli;

import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code smelt tokenize MODEL TEXT}: token ids and pieces, like llama-tokenize. */
@Command(name = "tokenize", description = "Show how a model tokenizes a text.")
final class TokenizeCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    ModelArgument model;

    @Parameters(index = "1", paramLabel = "TEXT", description = "Text to tokenize.")
    String text;

    @Option(names = "--ids", description = "Print only the ids.")
    boolean idsOnly;

    @Option(names = "--no-bos", description = "Do not add BOS/EOS.")
    boolean noBos;

    @Override
    public Integer call() throws Exception {
        try (GgufFile f = GgufFile.open(model.resolve())) {
            Tokenizer t = TextModels.tokenizer(f);
            int[] ids = t.encode(text, !noBos, true);
            if (idsOnly) {
                StringBuilder sb = new StringBuilder();
                for (int id : ids) {
                    sb.append(sb.isEmpty() ? "" : " ").append(id);
                }
                System.out.println(sb);
            } else {
                for (int id : ids) {
                    System.out.printf("%6d -> '%s'%n", id, t.piece(id));
                }
                System.out.println(ids.length + " tokens");
            }
        }
        return 0;
    }
}
