package dev.smelt.server;

import dev.smelt.server.http.ApiKeys;
import dev.smelt.server.http.HttpSettings;
import java.time.Duration;
import java.util.List;

/**
 * Server settings.
 *
 * @param apiKeys      accepted bearer keys; empty = no auth (refused by {@link #validate()} on non-loopback hosts
 *                     unless {@code allowNoAuth}); a blank key is refused
 * @param corsOrigins  allowed CORS origins; empty = CORS off
 * @param slots        concurrent sequences per model
 * @param contextSize  KV positions per slot
 * @param queueSize    requests that may wait for a slot before 429
 * @param keepAlive    unload a model after this idle time (Ollama's keep_alive)
 * @param allowedHosts extra {@code Host} names answered besides loopback names, IP literals and {@code host}
 * @param decoding     jump-forward and speculative decoding settings of every served model
 */
public record ServerConfig(String host, int port, List<String> apiKeys, boolean allowNoAuth, List<String> corsOrigins,
                           int threads, int slots, int contextSize, int queueSize, Duration keepAlive, boolean logPrompts,
                           List<String> allowedHosts, DecodingConfig decoding) {

    /** smelt serve's port unless told otherwise. */
    public static final int DEFAULT_PORT = 8080;
    /** Ollama's port ({@code smelt serve --ollama}), so Ollama clients work unconfigured. */
    public static final int OLLAMA_PORT = 11434;

    public ServerConfig {
        apiKeys = List.copyOf(apiKeys);
        corsOrigins = List.copyOf(corsOrigins);
        allowedHosts = List.copyOf(allowedHosts);
        decoding = decoding == null ? DecodingConfig.DEFAULT : decoding;
    }

    /** Settings with the default decoding (jump-forward on, no speculation). */
    public ServerConfig(String host, int port, List<String> apiKeys, boolean allowNoAuth, List<String> corsOrigins,
                        int threads, int slots, int contextSize, int queueSize, Duration keepAlive, boolean logPrompts,
                        List<String> allowedHosts) {
        this(host, port, apiKeys, allowNoAuth, corsOrigins, threads, slots, contextSize, queueSize, keepAlive, logPrompts, allowedHosts,
                DecodingConfig.DEFAULT);
    }

    public ServerConfig withDecoding(DecodingConfig d) {
        return new ServerConfig(host, port, apiKeys, allowNoAuth, corsOrigins, threads, slots, contextSize, queueSize, keepAlive, logPrompts,
                allowedHosts, d);
    }

    /** Settings without extra allowed hosts. */
    public ServerConfig(String host, int port, List<String> apiKeys, boolean allowNoAuth, List<String> corsOrigins,
                        int threads, int slots, int contextSize, int queueSize, Duration keepAlive, boolean logPrompts) {
        this(host, port, apiKeys, allowNoAuth, corsOrigins, threads, slots, contextSize, queueSize, keepAlive, logPrompts, List.of());
    }

    public static ServerConfig defaults(String host, int port) {
        return new ServerConfig(host, port, List.of(), false, List.of(), Runtime.getRuntime().availableProcessors(), 4, 4096, 64,
                Duration.ofMinutes(5), false);
    }

    /** The port to listen on: {@code port} when given, else Ollama's with {@code ollama}, else {@link #DEFAULT_PORT}. */
    public static int port(Integer port, boolean ollama) {
        return port != null ? port : ollama ? OLLAMA_PORT : DEFAULT_PORT;
    }

    public boolean loopback() {
        return http().loopback();
    }

    /** The HTTP part, shared with {@code smelt route}. */
    public HttpSettings http() {
        return new HttpSettings(host, port, ApiKeys.of(apiKeys, "--api-key"), allowNoAuth, corsOrigins, allowedHosts, logPrompts);
    }

    /** Rejects unsafe or impossible settings with the offending value. */
    public void validate() {
        http().validate();
        if (slots < 1 || contextSize < 16 || queueSize < 0 || threads < 1) {
            throw new IllegalArgumentException("invalid sizes: slots " + slots + ", context " + contextSize + ", queue " + queueSize + ", threads " + threads);
        }
    }
}
