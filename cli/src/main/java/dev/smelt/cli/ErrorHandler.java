package dev.smelt.cli;

import dev.smelt.model.ModelException;
import dev.smelt.model.arch.ContextOverflowException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;

/**
 * Turns failures into one clear line on stderr and a non-zero exit, never a stack trace
 * (set SMELT_DEBUG=1 to see it). Exit codes: 1 bad input or runtime failure, 2 usage (picocli).
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parseResult) {
        cmd.getErr().println("smelt: error: " + describe(ex));
        if (System.getenv("SMELT_DEBUG") != null) {
            ex.printStackTrace(cmd.getErr());
        }
        cmd.getErr().flush();
        return 1;
    }

    static String describe(Throwable ex) {
        Throwable t = ex instanceof UncheckedIOException u ? u.getCause() : ex;
        return switch (t) {
            case NoSuchFileException e -> "no such file: " + e.getFile();
            case IOException e -> e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            case ModelException e -> e.getMessage();
            case dev.smelt.model.onnx.OnnxFormatException e -> e.getMessage();
            case ContextOverflowException e -> e.getMessage();
            case IllegalArgumentException e -> e.getMessage();
            case OutOfMemoryError e -> "out of memory: " + e.getMessage() + " (raise -Xmx via SMELT_JAVA_OPTS or use a smaller --ctx)";
            default -> t.getClass().getSimpleName() + ": " + t.getMessage();
        };
    }
}
