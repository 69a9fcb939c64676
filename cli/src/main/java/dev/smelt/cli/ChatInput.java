package dev.smelt.cli;

import java.io.BufferedReader;
import java.io.IOException;

/** Where chat turns come from: a terminal with line editing, or plain lines (piped stdin). */
interface ChatInput extends AutoCloseable {
    /** The next complete input (multi-line forms joined, see {@link ChatMultiline}), or null at end of input. */
    String read() throws IOException;

    @Override
    void close() throws IOException;

    /** Plain lines without prompts or echo, for piped input. Not thread-safe. */
    static ChatInput plain(BufferedReader in) {
        return new ChatInput() {
            @Override
            public String read() throws IOException {
                String line = in.readLine();
                if (line == null) {
                    return null;
                }
                StringBuilder buf = new StringBuilder(line);
                while (ChatMultiline.needsMore(buf.toString())) {
                    String next = in.readLine();
                    if (next == null) {
                        break; // an unterminated block at end of input still counts as typed
                    }
                    buf.append('\n').append(next);
                }
                return ChatMultiline.text(buf.toString());
            }

            @Override
            public void close() {
                // stdin belongs to the caller
            }
        };
    }
}
