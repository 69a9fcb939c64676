package dev.smelt.server;

import io.javalin.http.Context;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;

/**
 * Tells whether the client of a non-streaming request has closed its connection, so its sequences can
 * be cancelled (nothing is written until the answer is complete, so no write can fail to reveal it).
 * The check reads at most one byte, non-blocking, from the request's socket: −1 means the client sent
 * FIN (closed or gone), 0 means it is still there. HTTP/1.1 clients send nothing more before they get
 * the answer; should one pipeline its next request, the byte read is lost, so the check stops and the
 * answer carries {@code Connection: close} (the client then resends on a new connection instead of
 * its request being corrupted). Outside Jetty over TCP it never reports a close. Not thread-safe: one
 * request thread polls it.
 */
final class ClientConnection {
    /** How often a waiting non-streaming handler looks at its connection. */
    static final long CHECK_MILLIS = 200;

    private final Context ctx;
    private final EndPoint endPoint;   // null when not served by Jetty
    private final SocketChannel channel; // null when the transport is not a non-blocking socket
    private boolean stopped;
    private long nextCheckNanos = System.nanoTime() + CHECK_MILLIS * 1_000_000;

    private ClientConnection(Context ctx, EndPoint endPoint, SocketChannel channel) {
        this.ctx = ctx;
        this.endPoint = endPoint;
        this.channel = channel;
    }

    static ClientConnection of(Context ctx) {
        try {
            Request base = Request.getBaseRequest(ctx.req());
            EndPoint ep = base == null || base.getHttpChannel() == null ? null : base.getHttpChannel().getEndPoint();
            Object t = ep == null ? null : ep.getTransport();
            SocketChannel ch = t instanceof SocketChannel sc && !sc.isBlocking() ? sc : null;
            return new ClientConnection(ctx, ep, ch);
        } catch (RuntimeException e) { // an unexpected request wrapper: no detection, the request still runs
            return new ClientConnection(ctx, null, null);
        }
    }

    /** Whether {@link #CHECK_MILLIS} have passed since the last due check (and restarts the interval). */
    boolean due() {
        long now = System.nanoTime();
        if (now - nextCheckNanos < 0) {
            return false;
        }
        nextCheckNanos = now + CHECK_MILLIS * 1_000_000;
        return true;
    }

    /** True once the client has closed the connection. */
    boolean closed() {
        if (endPoint != null && !endPoint.isOpen()) {
            return true;
        }
        if (channel == null || stopped) {
            return false;
        }
        try {
            int n = channel.read(ByteBuffer.allocate(1));
            if (n < 0) {
                return true;
            }
            if (n > 0) {
                stopped = true;
                ctx.header("Connection", "close");
            }
            return false;
        } catch (IOException e) {
            return true; // reset by peer
        }
    }
}
