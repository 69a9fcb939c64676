package dev.smelt.server.http;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which {@code Host} header values a server answers, against DNS rebinding: a web page on
 * {@code attacker.example} whose name is re-pointed at 127.0.0.1 reaches a loopback server with its own
 * name in {@code Host}. Allowed, as the Vite dev server and Jupyter do: {@code localhost} and
 * {@code *.localhost}, any IP literal (a rebinding attack needs a name the attacker controls, so an
 * address in {@code Host} cannot come from one), the name the server was bound to, and the names given
 * with {@code --allowed-host} (exact, {@code .example.com} for the domain and its subdomains, {@code *}
 * for any). A request without {@code Host} (HTTP/1.0; no browser sends one) is allowed. Immutable,
 * thread-safe.
 */
public final class AllowedHosts {
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-f:.]+(%[0-9a-z]+)?");

    private final String bound;
    private final List<String> extra;
    private final boolean any;

    /** @param boundHost the {@code --host} the server listens on; {@code extra} the {@code --allowed-host} values */
    public AllowedHosts(String boundHost, List<String> extra) {
        this.bound = boundHost == null ? "" : normalize(boundHost);
        this.extra = extra.stream().map(AllowedHosts::normalize).toList();
        this.any = extra.contains("*");
        for (String e : this.extra) {
            if (e.isEmpty() || e.equals(".")) {
                throw new IllegalArgumentException("--allowed-host must be a host name, .domain or *, got '" + e + "'");
            }
        }
    }

    /** Whether a request with this {@code Host} header (null when absent) may be answered. */
    public boolean allows(String hostHeader) {
        if (hostHeader == null || any) {
            return true;
        }
        String h = hostName(hostHeader);
        if (h == null) {
            return false;
        }
        if (h.equals("localhost") || h.endsWith(".localhost") || h.equals(bound) || isIpLiteral(h)) {
            return true;
        }
        for (String e : extra) {
            if (e.startsWith(".") ? h.endsWith(e) || h.equals(e.substring(1)) : h.equals(e)) {
                return true;
            }
        }
        return false;
    }

    /** The host part of a Host header, lower-case, without port or brackets; null when it is malformed. */
    static String hostName(String header) {
        String h = header.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int close = h.indexOf(']');
            if (close < 0 || close + 1 < h.length() && h.charAt(close + 1) != ':') {
                return null;
            }
            String v6 = h.substring(1, close);
            return IPV6.matcher(v6).matches() && v6.contains(":") ? v6 : null;
        }
        int colon = h.indexOf(':');
        if (colon >= 0) {
            if (h.indexOf(':', colon + 1) >= 0) {
                return null; // an unbracketed IPv6 address is not a valid Host
            }
            h = h.substring(0, colon);
        }
        return normalize(h);
    }

    private static String normalize(String host) {
        String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") && h.length() > 1 ? h.substring(0, h.length() - 1) : h;
    }

    private static boolean isIpLiteral(String h) {
        return IPV4.matcher(h).matches() || h.contains(":") && IPV6.matcher(h).matches();
    }
}
