package dev.smelt.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a text file as strict UTF-8. {@code Files.readString} reports a bad byte as a bare
 * {@code MalformedInputException: Input length = 1}, naming neither file nor place; this names the file,
 * the line and the byte. Stateless.
 */
public final class Utf8Text {
    private Utf8Text() {
    }

    /** The file's text; an IOException naming {@code file:line} and the byte offset when it is not UTF-8. */
    public static String read(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        ByteBuffer in = ByteBuffer.wrap(b);
        CharBuffer out = CharBuffer.allocate(b.length);
        CoderResult r = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(in, out, true);
        if (r.isError()) {
            int at = in.position();
            int line = 1;
            for (int i = 0; i < at; i++) {
                line += b[i] == '\n' ? 1 : 0;
            }
            throw new IOException(file + ":" + line + ": not valid UTF-8: byte 0x" + String.format("%02X", b[at] & 0xFF)
                    + " at byte offset " + at + " (save the file as UTF-8)");
        }
        return out.flip().toString();
    }
}
