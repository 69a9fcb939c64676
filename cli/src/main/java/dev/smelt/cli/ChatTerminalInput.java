package dev.smelt.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jline.reader.CompletingParsedLine;
import org.jline.reader.EOFError;
import org.jline.reader.EndOfFileException;
import org.jline.reader.History;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.Parser;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;

/**
 * Chat input from a terminal through JLine: line editing, arrow-key history kept in a file across runs,
 * and the multi-line forms of {@link ChatMultiline} edited as one buffer (one history entry). Ctrl-C drops
 * the line being typed; Ctrl-D ends. Owns the terminal. Not thread-safe.
 */
final class ChatTerminalInput implements ChatInput {
    static final String PROMPT = ">>> ";
    static final String CONTINUATION = "... ";

    private final Terminal terminal;
    private final LineReader reader;

    /** @param historyFile where history is read from and appended to (its folder is created); null: none kept */
    ChatTerminalInput(Terminal terminal, Path historyFile) throws IOException {
        this.terminal = terminal;
        LineReaderBuilder b = LineReaderBuilder.builder().terminal(terminal).parser(new WholeBuffer())
                .variable(LineReader.SECONDARY_PROMPT_PATTERN, CONTINUATION)
                // '!' in a question must stay text, not bash-style history expansion
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                .option(LineReader.Option.HISTORY_IGNORE_DUPS, true);
        if (historyFile != null) {
            Files.createDirectories(historyFile.toAbsolutePath().getParent());
            ownerOnly(historyFile);
            b.variable(LineReader.HISTORY_FILE, historyFile).variable(LineReader.HISTORY_FILE_SIZE, 2000);
        }
        this.reader = b.build();
    }

    /** Prompts are private: a new history file is readable by its owner only (where the file system has POSIX modes). */
    static void ownerOnly(Path file) throws IOException {
        if (Files.exists(file)) {
            return;
        }
        try {
            Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // another chat made it first
        }
    }

    /** Runs {@code action} on Ctrl-C outside line editing (while a reply is generated); readLine handles its own. */
    void onInterrupt(Runnable action) {
        terminal.handle(Terminal.Signal.INT, signal -> action.run());
    }

    @Override
    public String read() throws IOException {
        while (true) {
            try {
                return ChatMultiline.text(reader.readLine(PROMPT));
            } catch (UserInterruptException e) {
                // Ctrl-C: forget the line, ask again
            } catch (EndOfFileException e) {
                return null;
            }
        }
    }

    @Override
    public void close() throws IOException {
        try {
            History h = reader.getHistory();
            h.save();
        } finally {
            terminal.close();
        }
    }

    /**
     * Accepts the buffer as one word, asking for another line while {@link ChatMultiline#needsMore} says so.
     * JLine's default parser would treat quotes and backslashes as shell syntax ("don't" would wait for a
     * closing quote).
     */
    private static final class WholeBuffer implements Parser {
        @Override
        public CompletingParsedLine parse(String line, int cursor, ParseContext context) {
            if (context == ParseContext.ACCEPT_LINE && ChatMultiline.needsMore(line)) {
                throw new EOFError(-1, cursor, "continuation", "more input");
            }
            return new CompletingParsedLine() {
                @Override
                public String word() {
                    return line;
                }

                @Override
                public int wordCursor() {
                    return cursor;
                }

                @Override
                public int wordIndex() {
                    return 0;
                }

                @Override
                public List<String> words() {
                    return List.of(line);
                }

                @Override
                public String line() {
                    return line;
                }

                @Override
                public int cursor() {
                    return cursor;
                }

                @Override
                public CharSequence escape(CharSequence candidate, boolean complete) {
                    return candidate; // no quoting syntax to escape
                }

                @Override
                public int rawWordCursor() {
                    return cursor;
                }

                @Override
                public int rawWordLength() {
                    return line.length();
                }
            };
        }
    }
}
