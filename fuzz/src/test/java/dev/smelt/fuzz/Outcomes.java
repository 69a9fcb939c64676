package dev.smelt.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The only outcomes a parser may have on hostile input: a result, or one of smelt's own errors with a
 * message a person can act on. Everything else (NullPointerException, ArrayIndexOutOfBounds, a raw
 * Jackson exception that names no file, OutOfMemoryError, StackOverflowError) fails the fuzz target.
 */
public final class Outcomes {
    /** An error message longer than this echoes input it should have cut (Quote.MAX_CHARS is 200). */
    static final int MAX_MESSAGE_CHARS = 2_000;

    /** smelt's runtime error types: each carries a message meant for the user. */
    private static final Set<String> SMELT_ERRORS = Set.of(
            "dev.smelt.model.ModelException",
            "dev.smelt.model.onnx.OnnxFormatException",
            "dev.smelt.model.chat.ChatTemplateException",
            "dev.smelt.model.arch.ContextOverflowException",
            "dev.smelt.runtime.constrain.SchemaException",
            "dev.smelt.runtime.constrain.ConstraintDeadEndException",
            "dev.smelt.train.data.DataException",
            "dev.smelt.server.http.ApiException");

    /** Code under test. */
    @FunctionalInterface
    public interface Body {
        void run() throws Exception;
    }

    private Outcomes() {
    }

    /** Runs {@code body}; rethrows anything that is not an allowed outcome as an AssertionError. */
    public static void expect(Body body) {
        try {
            body.run();
        } catch (Throwable t) {
            String why = disallowed(t);
            if (why != null) {
                throw new AssertionError(why + ": " + t, t);
            }
        }
    }

    /** Null when {@code t} is an allowed error, else why it is not. */
    static String disallowed(Throwable t) {
        if (t instanceof UncheckedIOException u && u.getCause() != null) {
            t = u.getCause();
        }
        String msg = t.getMessage();
        if (msg == null || msg.isBlank()) {
            return "error without a message";
        }
        if (msg.length() > MAX_MESSAGE_CHARS) {
            return "error message of " + msg.length() + " characters (input echoed without a cut)";
        }
        String cls = t.getClass().getName();
        if (cls.startsWith("com.fasterxml.")) {
            return "raw Jackson exception (names no file or field)";
        }
        if (t instanceof java.nio.charset.CharacterCodingException) {
            return "raw charset exception (names no file or line)";
        }
        if (t instanceof IOException) {
            return null;
        }
        for (Class<?> c = t.getClass(); c != null; c = c.getSuperclass()) {
            if (SMELT_ERRORS.contains(c.getName())) {
                return null;
            }
        }
        // A deliberate IllegalArgumentException thrown by smelt's own checks (the CLI reports its message).
        if (t.getClass() == IllegalArgumentException.class && t.getStackTrace().length > 0
                && t.getStackTrace()[0].getClassName().startsWith("dev.smelt.")) {
            return null;
        }
        return "not a smelt error";
    }

    /** A fresh directory for one run's files, removed when the JVM exits. */
    public static Path tempDir(String prefix) {
        try {
            Path dir = Files.createTempDirectory(prefix);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort at exit
        }
    }

    /** Writes {@code data} to {@code dir/name} and returns the path. */
    public static Path write(Path dir, String name, byte[] data) {
        try {
            return Files.write(dir.resolve(name), data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Splits at the first 0 byte: {@code [before, after]} (after is empty when there is none). */
    public static byte[][] split(byte[] data) {
        for (int i = 0; i < data.length; i++) {
            if (data[i] == 0) {
                return new byte[][] {java.util.Arrays.copyOfRange(data, 0, i), java.util.Arrays.copyOfRange(data, i + 1, data.length)};
            }
        }
        return new byte[][] {data, new byte[0]};
    }
}
