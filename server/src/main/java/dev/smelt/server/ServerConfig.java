package dev.smelt.server;

import java.time.Duration;
import java.util.List;

/**
 * Server settings.
 *
 * @param apiKeys      accepted bearer keys; empty = no auth (refused by {@link #validate()} on non-loopback hosts
 *                     unless {@code allowNoAuth})
 * @param corsOrigins  allowed CORS origins; empty = CORS off
 * @param slots        concurrent sequences per model
 * @param contextSize  KV positions per slot
 * @param queueSize    requests that may wait for a slot before 429
 * @param keepAlive    unload a model after this idle time (Ollama's keep_alive)
 */
public record ServerConfig(String host, int port, List<String> apiKeys, boolean allowNoAuth, List<String> corsOrigins,
                           int threads, int slots, int contextSize, int queueSize, Duration keepAlive, boolean logPrompts) {

    public ServerConfig {
        apiKeys = List.copyOf(apiKeys);
        corsOrigins = List.copyOf(corsOrigins);
    }

    public static ServerConfig defaults(String host, int port) {
        return new ServerConfig(host, port, List.of(), false, List.of(), Runtime.getRuntime().availableProcessors(), 4, 4096, 64,
                Duration.ofMinutes(5), false);
    }

    public boolean loopback() {
        return host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1") || host.startsWith("127.");
    }

    /** Rejects unsafe or impossible settings with the offending value. */
    public void validate() {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
        }
        if (!loopback() && apiKeys.isEmpty() && !allowNoAuth) {
            throw new IllegalArgumentException("binding to " + host + " (not loopback) requires an API key: pass --api-key KEY"
                    + " or set SMELT_API_KEY (or --no-auth to serve openly, not recommended)");
        }
        if (slots < 1 || contextSize < 16 || queueSize < 0 || threads < 1) {
            throw new IllegalArgumentException("invalid sizes: slots " + slots + ", context " + contextSize + ", queue " + queueSize + ", threads " + threads);
        }
    }
}
