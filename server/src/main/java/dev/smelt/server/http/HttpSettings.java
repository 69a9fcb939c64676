package dev.smelt.server.http;

import java.util.List;

/**
 * What every smelt HTTP server ({@code serve}, {@code route}) is configured with: where it listens, who
 * may call it and from where.
 *
 * @param apiKeys      accepted bearer keys; none = no auth (refused by {@link #validate()} on a non-loopback
 *                     host unless {@code allowNoAuth})
 * @param corsOrigins  allowed CORS origins; empty = CORS off
 * @param allowedHosts extra {@code Host} names to answer besides loopback names, IP literals and {@code host}
 *                     ({@link AllowedHosts})
 * @param logPrompts   include request bodies in the request log
 */
public record HttpSettings(String host, int port, ApiKeys apiKeys, boolean allowNoAuth, List<String> corsOrigins,
                           List<String> allowedHosts, boolean logPrompts) {

    public HttpSettings {
        corsOrigins = List.copyOf(corsOrigins);
        allowedHosts = List.copyOf(allowedHosts);
    }

    /** Loopback only, no key, no CORS: what tests and {@code smelt demo} use. */
    public static HttpSettings local(int port) {
        return new HttpSettings("127.0.0.1", port, ApiKeys.none(), false, List.of(), List.of(), false);
    }

    public boolean loopback() {
        return host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1") || host.startsWith("127.");
    }

    /** Rejects unsafe or impossible settings, naming the option. */
    public void validate() {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be in [0, 65535], got " + port);
        }
        if (!loopback() && apiKeys.isEmpty() && !allowNoAuth) {
            throw new IllegalArgumentException("binding to " + host + " (not loopback) requires an API key: pass --api-key KEY"
                    + " or set " + ApiKeys.ENV + " (or --no-auth to serve openly, not recommended)");
        }
        new AllowedHosts(host, allowedHosts); // checks the names
    }
}
