package dev.smelt.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import io.javalin.http.sse.SseHandler;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * A Server-Sent Events stream of samples for a live dashboard ({@code smelt serve}'s {@code /api/smelt/stats},
 * {@code smelt route}'s {@code /api/smelt/router/stats}): one {@code stats} event per period, each connection with its
 * own {@link Sampler} (so what one sample reports relative to the previous, rates or new points, is per connection and
 * no state is shared between viewers). A client that does not ask for an event stream gets a 406 saying how to.
 * Thread-safe; each stream runs on its request's (virtual) thread until the client goes or {@link #close} is called.
 */
public final class SampleStream implements AutoCloseable {
    /** How often a sample is sent by default: often enough for a live chart, rare enough to cost nothing. */
    public static final Duration DEFAULT_PERIOD = Duration.ofSeconds(1);

    /** Makes one connection's samples; called from that connection's thread only. */
    @FunctionalInterface
    public interface Sampler {
        ObjectNode next();
    }

    private final String path;
    private final Duration period;
    private final Supplier<Sampler> perConnection;
    private final SseHandler sse = new SseHandler(this::stream);
    private volatile boolean closed;

    /**
     * @param path          the route, named in the 406 message
     * @param perConnection a fresh sampler for each connection
     */
    public SampleStream(String path, Duration period, Supplier<Sampler> perConnection) {
        this.path = path;
        this.period = period;
        this.perConnection = perConnection;
    }

    /**
     * The route: an event stream for a client that asks for one ({@code Accept: text/event-stream}, as EventSource and
     * the dashboards do), else a 406 saying so (Javalin would answer an empty 200).
     */
    public void handle(Context ctx) throws Exception {
        String accept = ctx.header("Accept");
        if (accept == null || !accept.contains("text/event-stream")) {
            throw new ApiException(406, "invalid_request_error", path + " is a Server-Sent Events stream: send "
                    + "'Accept: text/event-stream' (curl -N -H 'Accept: text/event-stream')", null, "not_acceptable", null);
        }
        sse.handle(ctx);
    }

    private void stream(SseClient client) {
        client.keepAlive();
        Sampler sampler = perConnection.get();
        while (!closed && !client.terminated()) {
            client.sendEvent("stats", sampler.next().toString());
            try {
                Thread.sleep(period);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        client.close();
    }

    /** Ends every stream at its next sample (server shutdown). */
    @Override
    public void close() {
        closed = true;
    }
}
