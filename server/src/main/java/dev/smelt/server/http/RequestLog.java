package dev.smelt.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.function.Consumer;

/**
 * smelt's server log: one JSON object per line and nothing else (no logger prefix), so log shippers
 * (Vector, Fluent Bit, Loki's promtail) read it as is. Each line has {@code time} (ISO-8601 UTC) and
 * {@code event}. Request lines never carry prompt text unless {@code logPrompts}. Thread-safe: one
 * {@code println} per line on a synchronized stream.
 */
public final class RequestLog {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Clock clock;
    private final Consumer<String> sink;

    public RequestLog(Clock clock, Consumer<String> sink) {
        this.clock = clock;
        this.sink = sink;
    }

    /** Lines to standard error (standard output stays free for a command's own output). */
    public static RequestLog stderr(Clock clock) {
        return new RequestLog(clock, line -> System.err.println(line)); // the stream in force now (tests redirect it)
    }

    /** A line for {@code event}; add fields and {@link #write} it. */
    public ObjectNode event(String event) {
        return JSON.createObjectNode().put("time", clock.instant().toString()).put("event", event);
    }

    public void write(ObjectNode line) {
        sink.accept(line.toString());
    }
}
