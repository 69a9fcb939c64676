package dev.smelt.server.http;

/**
 * An error answered in OpenAI's shape: {@code {"error": {"message", "type", "param", "code"}}} with an
 * HTTP status. Types follow OpenAI: invalid_request_error (400/404/413), authentication_error (401),
 * permission_error (403), rate_limit_error (429), server_error (500/503). The server writes it in the shape of the
 * API the request was for ({@link HttpRules#writeError}).
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final Integer retryAfterSeconds;

    public ApiException(int status, String type, String message, String param, String code, Integer retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400 invalid_request_error naming the offending parameter. */
    public static ApiException badRequest(String message, String param) {
        return new ApiException(400, "invalid_request_error", message, param, null, null);
    }

    public static ApiException notFound(String message, String param, String code) {
        return new ApiException(404, "invalid_request_error", message, param, code, null);
    }

    /** 400 for a field smelt knows but cannot honour: answered rather than ignored, so a client never gets less than it asked for. */
    public static ApiException unsupported(String param, String why) {
        return new ApiException(400, "invalid_request_error", "unsupported parameter: " + param + (why == null ? "" : " (" + why + ")"),
                param, "unsupported_parameter", null);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }

    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
